"""Command line and ``generate()``: write a complete sample landing root.

    python -m orchestration.sample_data --scale 1 --seed 42 --out data/landing [--no-defects]
        [--input-format synergy|sen2-xml|sen2-blade]
        [--council 886|845]   (East Sussex: its own districts, scale 0.25 by default)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from orchestration import contract
from orchestration.sample_data import defects as defect_rules
from orchestration.sample_data import geography
from orchestration.sample_data import postcodes as postcode_lookup
from orchestration.sample_data.children import CaseLoad
from orchestration.sample_data.people import UpnIssuer
from orchestration.sample_data.returns import build_returns, write_return_files
from orchestration.sample_data.scenario import (
    EXTRACT_DATES, GENERATOR_VERSION, GIAS_DATE, HISTORY_START, REGISTER_YEARS, RETURN_YEARS,
    SIMULATION_END, Scenario, as_of,
)
from orchestration.sample_data.schools import build_register, write_gias
from orchestration.sample_data.second_night import CHANGE_DAY, SecondNightChanges
from orchestration.sample_data.sen2_return import FORMATS as SEN2_FORMATS, LANDING_SEN2, Sen2Returns
from orchestration.sample_data.sen2_return import collections as sen2_collections
from orchestration.sample_data.srps import build_srps, fill_gias_figures, register_path, write_register
from orchestration.sample_data.synergy import COLUMNS, NightlyExtracts, record_rows

LOG = logging.getLogger(__name__)
MANIFEST = "SAMPLE_DATA.json"
SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / contract.DFE_SEN2_MI_FILE
OWNED = (contract.LANDING_SYNERGY, contract.LANDING_GIAS, contract.LANDING_SRP_REGISTER,
         contract.LANDING_SCHOOL_RETURNS, contract.LANDING_DFE, LANDING_SEN2,
         postcode_lookup.LANDING_POSTCODES, MANIFEST)
INPUT_FORMATS = ("synergy",) + SEN2_FORMATS


def generate(out: Path, scale: float | None = None, seed: int = 42, defects: bool = True,
             input_format: str = "synergy", council: str = geography.DEFAULT_LA_CODE) -> dict:
    """Write the landing root under ``out`` and return the manifest (also in SAMPLE_DATA.json).

    ``input_format``: the case records as Synergy extracts, or the same children as annual
    SEN2 returns (XML or Blade CSV set, sen2_return.py); the postcode lookup is written for all."""
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {input_format!r}: one of {', '.join(INPUT_FORMATS)}")
    if council != geography.LA_CODE:  # ``council``'s districts and places throughout (Kent: default)
        with geography.use_council(council):
            return generate(out, scale, seed, defects, input_format, council)
    scale = geography.SAMPLE.default_scale if scale is None else scale  # East Sussex: 0.25
    out = Path(out)
    _prepare(out)
    scenario = Scenario(seed=seed, scale=scale, defects=defects)
    log = defect_rules.DefectLog()
    counts: dict[str, int] = {}
    schools = build_register(scenario)
    srps = build_srps(scenario, schools)
    caseload = CaseLoad(scenario, schools, srps)
    started = time.perf_counter()  # progress logging only: nothing written depends on it
    homes = postcode_lookup.PostcodeBook()
    if input_format == "synergy":
        second_night = _write_synergy(out, scenario, caseload, srps, log, counts, homes)
    else:
        second_night = _write_sen2(out, scenario, caseload, counts, homes, input_format)
    LOG.info("%s case records written in %.0fs", input_format, time.perf_counter() - started)
    lookup_file, counts[lookup_file] = homes.write(out)

    fill_gias_figures(srps, RETURN_YEARS[-1])
    gias_file = f"{contract.LANDING_GIAS}/edubase_{GIAS_DATE:%Y%m%d}.csv"
    counts[gias_file] = write_gias(out / gias_file, schools,
                                   defect_rules.gias_defect(log, gias_file) if defects else None)
    for year in REGISTER_YEARS:
        path = register_path(out, year)
        relative = path.relative_to(out).as_posix()
        hook = defect_rules.register_defect(log, relative) if defects and year == 2022 else None
        counts[relative] = write_register(out, srps, year, hook)

    started = time.perf_counter()
    returns_note = _write_returns(out, scenario, srps, caseload, log, counts)
    LOG.info("school returns %s in %.0fs", returns_note, time.perf_counter() - started)
    dfe_file = f"{contract.LANDING_DFE}/{contract.DFE_SEN2_MI_FILE}"
    (out / contract.LANDING_DFE).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEED_FILE, out / dfe_file)
    counts[dfe_file] = _data_rows(out / dfe_file)

    manifest = _manifest(scenario, counts, log, second_night, returns_note, srps, input_format)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    _pin_mtimes(out)
    return manifest


def _prepare(out: Path) -> None:
    """Only ever replace an earlier sample: never clear a folder holding real data."""
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise FileExistsError(f"{out} is not empty and holds no {MANIFEST}: not a sample landing folder")
    for name in OWNED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _write_sen2(out, scenario, caseload, counts, homes, input_format) -> SecondNightChanges:
    """The same children as annual SEN2 returns: no nightly changes, no Synergy defects."""
    returns = Sen2Returns()
    for record in caseload.records():
        homes.add(record.person)
        returns.add_child(record)
    counts.update(returns.write(out, input_format))
    return SecondNightChanges(scenario)  # its log stays empty: there is no second night


def _write_synergy(out, scenario, caseload, srps, log, counts, homes) -> SecondNightChanges:
    extracts = NightlyExtracts(out, EXTRACT_DATES)
    changes = SecondNightChanges(scenario)
    synergy_defects = defect_rules.SynergyDefects(srps, log) if scenario.defects else None
    for record in caseload.records():
        homes.add(record.person)
        changes.apply(record, lambda: caseload.ids.next("review"))
        _write_record(record, extracts, synergy_defects)
    for _ in range(changes.new_requests):
        record = caseload.pending_request(CHANGE_DAY)
        homes.add(record.person)
        changes.log.append({"change": "request received", "person_id": record.person.person_id})
        _write_record(record, extracts, synergy_defects)
    if synergy_defects:
        for defect, file_name, row, what, column in synergy_defects.appended_rows(COLUMNS["annual_review.csv"]):
            lines = extracts.write_raw(file_name, row) if isinstance(row, list) else extracts.write(file_name, row)
            for path, line in zip(extracts.paths, lines):
                log.add(defect, f"{path}/{file_name}", what, line=line, column=column)
    counts.update(extracts.close())
    return changes


def _write_record(record, extracts, synergy_defects) -> None:
    if synergy_defects:
        synergy_defects.alter(record)
    for file_name, row in record_rows(record):
        lines = extracts.write(file_name, row)
        if synergy_defects and "_defect" in row:
            for path, line in zip(extracts.paths, lines):
                synergy_defects.note(f"{path}/{file_name}", row, line)


def _write_returns(out, scenario, srps, caseload, log, counts) -> str:
    files = build_returns(scenario, srps, caseload.spells)
    if scenario.defects:
        stranger = UpnIssuer().issue(geography.LA_CODE, "2001", 99)  # year 99: never issued
        files = defect_rules.apply_return_defects(files, log, stranger)
    try:
        write_return_files(out, files)
    except ImportError as error:  # the template writer is another module's job
        return f"school returns not written: {error}"
    for item in files:
        os.utime(out / item.relative_path, (_epoch(item.content.date_completed),) * 2)
        counts[item.relative_path] = len(item.content.pupils)
    return "written"


def _data_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def _manifest(scenario, counts, log, second_night, returns_note, srps, input_format) -> dict:
    return {
        "sample_data": True,
        "generator": "orchestration.sample_data",
        "generator_version": GENERATOR_VERSION,
        "seed": scenario.seed,
        "scale": scenario.scale,
        "council": geography.LA_CODE,
        "defects_enabled": scenario.defects,
        "input_format": input_format,
        "scenario": {
            "history_start": HISTORY_START.isoformat(),
            "extract_dates": [d.isoformat() for d in EXTRACT_DATES],
            "extract_as_of": [as_of(d).isoformat() for d in EXTRACT_DATES],
            "sen2_returns": [{"year": c.year, "census": c.census.isoformat(),
                              "extract_date": c.extract_date.isoformat()} for c in sen2_collections()]
            if input_format in SEN2_FORMATS else [],
            "gias_date": GIAS_DATE.isoformat(),
            "register_years": [contract.academic_year_label(y) for y in REGISTER_YEARS],
            "return_years": [contract.academic_year_label(y) for y in RETURN_YEARS],
            "simulation_end": SIMULATION_END.isoformat(),
            "srp_designations": len(srps.srps),
        },
        "school_returns": returns_note,
        "second_night_changes": second_night.log,
        "row_counts": dict(sorted(counts.items())),
        "defects": log.entries,
    }


def _stamp(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 2, 30)


def _epoch(day: dt.date) -> float:
    return _stamp(day).replace(tzinfo=dt.timezone.utc).timestamp()


def _pin_mtimes(out: Path) -> None:
    """File times from the scenario, never the wall clock."""
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out).parts
        if relative[0] == contract.LANDING_SCHOOL_RETURNS and path.is_file():
            continue  # already the date the school completed it
        day = _file_day(relative)
        os.utime(path, (_epoch(day),) * 2)


def _file_day(relative: tuple[str, ...]) -> dt.date:
    top = relative[0]
    if top in (contract.LANDING_SYNERGY, LANDING_SEN2) and len(relative) > 1:
        return dt.date.fromisoformat(relative[1])
    if top == contract.LANDING_GIAS:
        return GIAS_DATE
    if top == contract.LANDING_SRP_REGISTER and len(relative) > 1:
        return dt.date(contract.academic_year_start(relative[1][-11:-4]), 7, 15)
    return EXTRACT_DATES[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.sample_data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=None,
                        help="1 = Kent (~19.5k active plans); default: the council's own (Kent 1, East Sussex 0.25)")
    parser.add_argument("--council", default=geography.DEFAULT_LA_CODE, choices=sorted(geography.SAMPLE_COUNCILS),
                        help="LA code of the council the sample is for (councils/<code>-*.toml; default 886 Kent)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("data/landing"), help="landing root")
    parser.add_argument("--no-defects", dest="defects", action="store_false",
                        help="clean data: no deliberate defects")
    parser.add_argument("--input-format", choices=INPUT_FORMATS, default="synergy",
                        help="the case records as Synergy extracts (default) or the same children as "
                             "annual SEN2 returns: XML or the COLLECT Blade CSV set")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    manifest = generate(args.out, scale=args.scale, seed=args.seed, defects=args.defects, council=args.council,
                        input_format=args.input_format)
    print(f"sample data written to {args.out} in {time.perf_counter() - started:.1f}s: "
          f"{len(manifest['row_counts'])} files, {len(manifest['defects'])} defects; "
          f"school returns {manifest['school_returns']}", file=sys.stderr)
    return 0
