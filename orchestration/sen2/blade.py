"""Read the COLLECT "Blade" CSV export of a SEN2 return: one file per module.

Files are found in a folder by their module suffix, ``..._<module>.csv`` (COLLECT names them
``Blade-Export_<dd-mm-yyyy>_<module>.csv``; spec.MODULES ``blade``), case-insensitively; every
module's file must be there. Each file is decoded and split into rows by the platform's own
CSV reader (ingest/csv_reader.py: UTF-8 or Windows-1252, header = row 1). Column names are
matched in lower case. A row's items are every column except the Blade identifier columns
(spec.blade_key_columns), which are kept in ``Record.ids``; the parent identifier links each
record to its parent's position. Values stay as landed (an empty cell is None).
"""

from __future__ import annotations

from pathlib import Path

from orchestration.ingest.csv_reader import Quarantine, read_csv
from orchestration.problems import ERROR, Problem
from orchestration.sen2 import spec
from orchestration.sen2.records import REASONS, Record, Sen2FileError, Sen2Return


def module_files(folder: str | Path) -> dict[str, Path]:
    """Each module's file in the folder; Sen2FileError when one is missing or doubled."""
    folder = Path(folder)
    found: dict[str, list[Path]] = {m.key: [] for m in spec.MODULES}
    suffixes = {f"_{m.blade}.csv": m.key for m in spec.MODULES}
    for path in sorted(folder.iterdir()):
        for suffix, key in suffixes.items():
            if path.name.lower().endswith(suffix):
                found[key].append(path)
    for key, paths in found.items():
        blade = spec.MODULE[key].blade
        if not paths:
            raise Sen2FileError("missing_module_file", f"{folder.name}: no *_{blade}.csv file "
                                                       f"({REASONS['missing_module_file']})")
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            raise Sen2FileError("ambiguous_module_file", f"{folder.name}: {names} are all "
                                                         f"*_{blade}.csv files")
    return {key: paths[0] for key, paths in found.items()}


def read_blade(folder: str | Path) -> Sen2Return:
    """Every module's records, parents first so each child finds its parent's position."""
    result = Sen2Return("blade")
    by_id: dict[str, dict[str, Record]] = {}
    for key, path in module_files(folder).items():
        by_id[key] = {}
        for record in _read_module(key, path, by_id, result.problems):
            result.add(record)
            own_id = record.ids.get(spec.MODULE[key].id_column)
            if own_id is not None:
                by_id[key].setdefault(own_id, record)
    if len(result.records["header"]) > 1:
        raise Sen2FileError("unexpected_element", f"{Path(folder).name}: the "
                                                  f"*_{spec.MODULE['header'].blade}.csv file has "
                                                  f"{len(result.records['header'])} rows; a "
                                                  "return has one header")
    if not result.records["header"]:
        raise Sen2FileError("missing_header", f"{Path(folder).name}: the "
                                              f"*_{spec.MODULE['header'].blade}.csv file has no"
                                              f" row ({REASONS['missing_header']})")
    return result


def _read_module(key: str, path: Path, by_id: dict[str, dict[str, Record]],
                 problems: list[Problem]):
    try:
        raw = read_csv(path.read_bytes(), path.name)
    except Quarantine as exc:
        if exc.rule == "empty_file" and key != "header":
            return  # a module with no records may come as an empty file
        raise Sen2FileError(exc.rule if exc.rule in REASONS else "unreadable",
                            exc.message) from None
    headers = [h.lower() for h in raw.headers]
    _check_unique(headers, path.name)
    module = spec.MODULE[key]
    keys = set(c.lower() for c in spec.blade_key_columns(key))
    parent_column = spec.MODULE[module.parent].id_column if module.parent else None
    for position, (row, fields) in enumerate(raw.records, start=1):
        if len(fields) != len(headers):
            problems.append(Problem(
                "wrong_field_count",
                f"{path.name} row {row}: has {len(fields)} fields but the header has "
                f"{len(headers)} (a truncated or badly quoted row)", row, None, None, ERROR))
        cells = dict(zip(headers, fields + [""] * (len(headers) - len(fields))))
        cells = {name: (text if text != "" else None) for name, text in cells.items()}
        ids = {name: text for name, text in cells.items() if name in keys}
        values = {name: text for name, text in cells.items() if name not in keys}
        parent = person = None
        if parent_column is not None:
            parent_record = by_id[module.parent].get(ids.get(parent_column))
            if parent_record is not None:
                parent = parent_record.position
                person = parent_record.person if key != "person" else None
        if key == "person":
            person = position
        yield Record(key, position, values, parent, person, path.name, row, ids)


def _check_unique(headers: list[str], name: str) -> None:
    seen = set()
    for header in headers:
        if header in seen:
            raise Sen2FileError("duplicate_column", f"{name}: column {header} appears more "
                                                    "than once in the header")
        seen.add(header)
