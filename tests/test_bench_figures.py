"""The benchmark's figures (issue 17 item 8): median and range of repeated runs, ratios that
divide figures of the same run, BI latency with the connect time, and a floor that reads the
raw landed files as the platform's bronze (so the compiled SQL runs on it unchanged)."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import contract, ingest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from refresh import bi_queries, floor  # noqa: E402


def bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_repeated_runs_report_median_range_and_every_run():
    assert bench_run().spread([30.0, 10.0, 20.0]) == {"median": 20.0, "min": 10.0, "max": 30.0,
                                                      "runs": [30.0, 10.0, 20.0]}
    assert bench_run().spread([4.0, 1.0, 2.0, 3.0])["median"] == 2.5


def test_a_ratio_divides_figures_of_one_run_with_its_range():
    run = bench_run()
    full, baseline = run.spread([9.0, 10.0, 12.0]), run.spread([4.0, 5.0, 6.0])
    # medians 10 / 5; the range from the slowest full run over the fastest baseline run and back
    assert run.ratio(full, baseline) == {"median": 2.0, "min": 1.5, "max": 3.0}
    assert run.ratio(full, None) is None


def test_bi_latency_includes_connect_time(tmp_path):
    path = tmp_path / "published.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema gold")
        con.execute("create table gold.t as select 'county' as level, 1 as n")
    measured = bi_queries.measure(path, repetitions=5)
    assert measured["queries"] == 1
    assert measured["connect_and_query_samples"] == 20  # at least 20 fresh connections
    assert measured["connect_and_query_p50_ms"] > 0 and measured["p50_ms"] > 0


def csv_rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def floor_bronze(small_landing, tmp_path_factory):
    con = duckdb.connect()
    ingest.ensure_bronze_schema(con)
    floor.read_synergy(con, small_landing)
    floor.read_registers(con, small_landing, tmp_path_factory.mktemp("floor"))
    yield con
    con.close()


def test_the_floor_keeps_every_synergy_night_valid_until_the_next(floor_bronze, small_landing):
    nights = sorted(p.name for p in (small_landing / "synergy").iterdir())
    assert len(nights) == 2
    for night in nights:
        as_of = floor_bronze.execute(
            "select count(*), count(distinct person_id) from bronze.synergy_person "
            "where _valid_from <= ? and (_valid_to is null or _valid_to > ?)", [night, night]
        ).fetchone()
        landed = len(csv_rows(small_landing / "synergy" / night / "person.csv"))
        assert as_of == (landed, landed)
    assert floor_bronze.execute(
        "select list(extract_date::varchar order by extract_date) from bronze.synergy_extracts "
        "where status = 'loaded'").fetchone()[0] == nights


def test_the_floor_maps_register_headers_to_bronze_columns(floor_bronze, small_landing):
    [gias_file] = (small_landing / "gias").glob("edubase_*.csv")
    gias = csv_rows(gias_file, encoding="latin-1")
    assert floor_bronze.execute(
        "select count(*), count(urn), count(establishment_name), min(_file_date)::varchar "
        "from bronze.gias_establishment").fetchone() == (
        len(gias), len(gias), len(gias), f"{gias_file.stem[8:12]}-{gias_file.stem[12:14]}-{gias_file.stem[14:16]}")
    register = [row for path in (small_landing / "srp_register").glob("*.csv") for row in csv_rows(path)]
    assert floor_bronze.execute(
        "select count(*), count(commissioned_places), count(*) filter (where academic_year = _academic_year) "
        "from bronze.srp_register").fetchone() == (len(register),) * 3
    dfe = csv_rows(small_landing / "dfe" / contract.DFE_SEN2_MI_FILE)
    assert floor_bronze.execute("select count(*) from bronze.dfe_sen2_mi").fetchone()[0] == len(dfe)


def test_the_floor_reads_windows_1252_gias(tmp_path):
    """0x92 (a right quote) is Windows-1252 only: DuckDB's latin-1 refuses it."""
    landing = tmp_path / "landing"
    (landing / "gias").mkdir(parents=True)
    (landing / "srp_register").mkdir()
    (landing / "gias" / "edubase_20250901.csv").write_bytes(
        b"URN,EstablishmentName\r\n118000,St Mary\x92s Primary\r\n")
    con = duckdb.connect()
    ingest.ensure_bronze_schema(con)
    floor.read_registers(con, landing, tmp_path)
    assert con.execute("select urn, establishment_name, _source_file from bronze.gias_establishment"
                       ).fetchall() == [("118000", "St Mary\u2019s Primary", "gias/edubase_20250901.csv")]


def test_a_ceiling_is_met_at_the_limit_and_a_floor_only_at_or_above_it():
    run = bench_run()

    def verdict(result, metric):
        return next(v for v in run._verdicts({"scale": 1, **result}) if v["metric"] == metric)

    assert verdict({"full_refresh_s": 60}, "full_refresh_s")["met"] is True
    assert verdict({"full_refresh_s": 60.1}, "full_refresh_s")["met"] is False
    assert verdict({"sen2_xml_ingest_mb_s": 50}, "sen2_xml_ingest_mb_s")["met"] is True
    assert verdict({"sen2_xml_ingest_mb_s": 49.9}, "sen2_xml_ingest_mb_s") == {
        "metric": "sen2_xml_ingest_mb_s", "target": ">= 50", "value": 49.9, "met": False}
    assert verdict({}, "sen2_xml_ingest_mb_s")["met"] is None  # not measured
