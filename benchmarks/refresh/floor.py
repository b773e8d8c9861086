"""The floor of a full refresh: DuckDB's own read_csv of the raw landed files, then dbt's
compiled SQL of every model and test, in ONE DuckDB process. Nothing is validated, archived,
registered or change-captured; no Python touches a row.

    python benchmarks/refresh/floor.py --landing L --workdir W \
        --compiled-manifest T/manifest.json --reference-from built/warehouse.duckdb

Bronze tables take the platform's columns (orchestration/ingest/schema.py) filled from each CSV
by header (contract field names; GIAS, Windows-1252, transcoded to UTF-8 first). Synergy keeps every night's snapshot
whole, each valid from its extract date to the next one's (the same rows as-of any date as the
platform's change history, stored without diffing). Two things are not read from the raw files:
the school returns (.xlsx: DuckDB reads no workbook without its excel extension, which this
offline project does not install) and the reference seeds; both are copied from a built
warehouse, timed apart (`copied_s`), so the floor is a little lower than the true one. Prints
one JSON line of timings.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import duckdb

from orchestration import contract
from orchestration.ingest import schema

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compiled_sql import baseline_main, copy_reference, lap  # noqa: E402

RETURN_TABLES = ("return_submissions", *schema.RETURN_SHEET_TABLES.values())


def read_csv(path: Path, encoding: str = "utf-8") -> str:
    return (f"read_csv('{path}', header = true, all_varchar = true, encoding = '{encoding}', "
            "strict_mode = false, null_padding = true)")


def insert_csv(con, source: contract.CsvSource, path: Path, landing: Path, extra: dict[str, str],
               encoding: str = "utf-8") -> None:
    """Rows of one landed CSV into bronze.<source>, by header; lineage from `extra` (SQL)."""
    headers = {name for name, *_ in con.execute(f"describe select * from {read_csv(path, encoding)}").fetchall()}
    columns = {schema.column_name(source, field): schema.quote(field)
               for field in source.columns if field in headers}
    columns["_source_file"] = f"'{path.relative_to(landing).as_posix()}'"
    columns.update(extra)
    names = ", ".join(schema.quote(name) for name in columns)
    con.execute(f"insert into {schema.table(source.name)} ({names}) "
                f"select {', '.join(columns.values())} from {read_csv(path, encoding)}")


def read_synergy(con, landing: Path) -> None:
    nights = sorted(p for p in (landing / "synergy").iterdir() if (p / "_SUCCESS").exists())
    for number, night in enumerate(nights):
        valid_to = f"date '{nights[number + 1].name}'" if number + 1 < len(nights) else "null"
        for source in contract.SYNERGY_FILES:
            insert_csv(con, source, night / source.file_name, landing, {
                "_extract_date": f"date '{night.name}'", "_valid_from": f"date '{night.name}'",
                "_valid_to": valid_to})
        con.execute("insert into bronze.synergy_extracts (extract_date, status) values (?, 'loaded')",
                    [night.name])


def read_registers(con, landing: Path, scratch: Path) -> None:
    for path in sorted((landing / "gias").glob("edubase_*.csv")):
        day = re.search(r"(\d{4})(\d{2})(\d{2})", path.name).groups()
        utf8 = as_utf8(path, scratch)
        insert_csv(con, contract.GIAS, utf8, scratch, {
            "_file_date": f"date '{'-'.join(day)}'",
            "_source_file": f"'{path.relative_to(landing).as_posix()}'"})
    for path in sorted((landing / "srp_register").glob("srp_register_*.csv")):
        year = re.search(r"(\d{4})-(\d{2})", path.name).groups()
        insert_csv(con, contract.SRP_REGISTER, path, landing, {"_academic_year": f"'{year[0]}/{year[1]}'"})
    dfe = landing / "dfe" / contract.DFE_SEN2_MI_FILE
    if dfe.exists():
        insert_csv(con, contract.DFE_SEN2_MI, dfe, landing, {})


def as_utf8(path: Path, scratch: Path) -> Path:
    """GIAS is Windows-1252, which DuckDB reads only with its encodings extension (not
    installed offline; its latin-1 refuses 0x80-0x9F): transcoded once, a few MB."""
    target = scratch / path.name
    target.write_text(path.read_text(encoding="cp1252"), encoding="utf-8")
    return target


def copy_returns(con, reference_from: Path) -> None:
    con.execute(f"attach '{reference_from}' as built (read_only)")
    for table in RETURN_TABLES:
        con.execute(f"insert into bronze.{table} select * from built.bronze.{table}")
    con.execute("detach built")


def load_bronze(con, landing: Path, workdir: Path, reference_from: Path, timings: dict,
                started: float) -> None:
    schema.ensure_bronze_schema(con)  # empty bronze tables with the platform's columns
    read_synergy(con, landing)
    read_registers(con, landing, workdir)
    timings["read_csv_s"] = lap(started)
    mark = time.perf_counter()
    copy_returns(con, reference_from)
    copy_reference(con, reference_from)
    timings["copied_s"] = lap(mark)


if __name__ == "__main__":
    baseline_main(__doc__.splitlines()[0], load_bronze)
