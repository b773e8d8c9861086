"""Read-only BI publication: versions, the atomic switch, the release copied as written, Parquet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import (
    PublishError,
    current_version,
    gold_model_names,
    publish,
    read_manifest,
)

GOLD_TABLES = ("caseload", "srp_places", "timeliness")

# level, level_key, commissioned, on roll, on roll returned, assessment places, occupancy %,
# vacancies, over-subscription; all 2024/25, Primary, ASD, in Dover (East Kent)
SRP_PLACES = [
    ("school", "1001", 8, 3, 3, 0, 37.5, 5, 0),
    ("school", "1002", 10, 12, None, 4, 120.0, 0, 2),
    ("school", "1003", 6, 0, 0, 0, 0.0, 6, 0),
    ("district", "Dover", 24, 15, 3, 4, 62.5, 11, 2),
]
SRP_COLUMNS = (
    "level, level_key, commissioned_places, pupils_on_roll, pupils_on_roll_returned, "
    "assessment_places_returned, occupancy_pct, vacancies, over_subscription"
)
SRP_PLACE = "'2024/25' as academic_year, 'Primary' as phase, 'ASD' as designation, " \
    "'Dover' as district, 'East Kent' as area"


def build_warehouse(path: Path, marker: str, extra_rows: int = 0) -> dict[str, int]:
    """A tiny warehouse: identifiers in bronze, person rows in silver, three gold tables whose
    every row carries ``marker``; ``extra_rows`` makes row counts differ between versions."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema bronze; create schema silver; create schema gold")
        con.execute("create table bronze.synergy_person as select 'A123456789012' as upn")
        con.execute("create table silver.silver_person as select 'abc' as person_key")
        con.execute(
            f"create table gold.caseload as select '{marker}' as marker, i as age, "
            f"cast(i * 10 as hugeint) as pupils from range({5 + extra_rows}) t(i)"
        )
        con.execute(
            f"create table gold.timeliness as select '{marker}' as marker, 2020 + i as year, "
            f"0.5 as within_20_weeks from range({3 + extra_rows}) t(i)"
        )
        con.execute(
            f"create table gold.srp_places as select *, {SRP_PLACE} from (values "
            + ", ".join(_sql_row(row) for row in SRP_PLACES)
            + f") as t({SRP_COLUMNS})"
        )
        con.execute(f"alter table gold.srp_places add column marker varchar default '{marker}'")
        con.execute("alter table gold.srp_places alter commissioned_places type hugeint")
        # the release as the disclosure engine writes it (orchestration/disclosure/release.py)
        con.execute("create schema external")
        con.execute(
            "create table external.srp_places as select * replace ("
            "case when pupils_on_roll between 1 and 4 then null else pupils_on_roll end as pupils_on_roll), "
            "case when pupils_on_roll between 1 and 4 then 'c' end as pupils_on_roll_flag "
            "from gold.srp_places"
        )
        return {t: con.execute(f"select count(*) from gold.{t}").fetchone()[0] for t in GOLD_TABLES}


def _sql_row(row) -> str:
    return "(" + ", ".join("null" if v is None else repr(v) for v in row) + ")"


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    build_warehouse(path, "A")
    return path


@pytest.fixture
def published(tmp_path) -> Path:
    return tmp_path / "published"


def test_publishing_twice_keeps_the_old_version_readable(warehouse, published):
    first = publish(warehouse, published, run_id="run-one-1234")
    old_reader = duckdb.connect(str(published / "current" / "published.duckdb"), read_only=True)
    try:
        build_warehouse(warehouse, "B", extra_rows=2)
        second = publish(warehouse, published, run_id="run-two-5678")

        assert old_reader.execute("select distinct marker from gold.caseload").fetchall() == [("A",)]
        assert query(first.database, "select count(*) from gold.caseload") == [(5,)]
        for path in (published / "current" / "published.duckdb", published / "published.duckdb"):
            assert query(path, "select distinct marker from gold.caseload") == [("B",)]
            assert query(path, "select version, run_id from meta.publication") == [
                (second.version, "run-two-5678")
            ]
    finally:
        old_reader.close()
    assert current_version(published) == second.version
    assert os.readlink(published / "current") == f"versions/{second.version}"
    assert sorted(p.name for p in (published / "versions").iterdir()) == sorted(
        [first.version, second.version]
    )
    assert first.version.endswith("-run-one-") and first.version < second.version


def test_manifest_describes_the_version(warehouse, published):
    result = publish(warehouse, published, run_id="run-one-1234")
    manifest = read_manifest(published, result.version)
    assert manifest["version"] == result.version
    assert manifest["run_id"] == "run-one-1234"
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["source_warehouse"]["size_bytes"] == warehouse.stat().st_size
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == {
        "gold.caseload": 5,
        "gold.srp_places": 4,
        "gold.timeliness": 3,
        "external.srp_places": 4,
        "meta.publication": 1,
    }
    assert result.row_counts == {name: t["rows"] for name, t in manifest["tables"].items()}
    # 128-bit integers are narrowed for BI drivers
    assert manifest["tables"]["gold.caseload"]["columns"]["pupils"] == "BIGINT"
    assert manifest["tables"]["gold.srp_places"]["columns"]["commissioned_places"] == "BIGINT"


def test_only_gold_and_its_external_copies_are_published(warehouse, published):
    result = publish(warehouse, published)
    tables = query(
        result.database,
        "select table_schema, table_name from information_schema.tables order by 1, 2",
    )
    assert tables == [
        ("external", "srp_places"),
        ("gold", "caseload"),
        ("gold", "srp_places"),
        ("gold", "timeliness"),
        ("meta", "publication"),
    ]


def test_external_tables_are_the_release_copied_as_the_engine_wrote_it(warehouse, published):
    result = publish(warehouse, published)
    rows = query(
        result.database,
        "select level_key, pupils_on_roll, pupils_on_roll_flag from external.srp_places order by level_key",
    )
    assert rows == [("1001", None, "c"), ("1002", 12, None), ("1003", 0, None), ("Dover", 15, None)]


def test_a_warehouse_without_a_release_is_not_published(warehouse, published):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table external.srp_places")
    with pytest.raises(PublishError, match="disclosure release has not been written"):
        publish(warehouse, published)
    assert not (published / "current").exists()


def test_parquet_files_hold_every_row_of_the_warehouse_tables(warehouse, published):
    result = publish(warehouse, published)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in GOLD_TABLES:
            parquet = result.version_dir / "parquet" / "gold" / f"{table}.parquet"
            missing = con.execute(
                f"select count(*) from (select * from gold.{table} "
                f"except all select * from read_parquet('{parquet}'))"
            ).fetchone()[0]
            counts = con.execute(
                f"select (select count(*) from gold.{table}), "
                f"(select count(*) from read_parquet('{parquet}'))"
            ).fetchone()
            assert missing == 0 and counts[0] == counts[1], table
        external = result.version_dir / "parquet" / "external" / "srp_places.parquet"
        assert con.execute(f"select count(*) from read_parquet('{external}')").fetchone() == (4,)


def test_a_failed_publish_leaves_current_untouched(warehouse, published):
    good = publish(warehouse, published)
    linked_inode = (published / "published.duckdb").stat().st_ino

    def fail_midway(con, catalog):
        raise RuntimeError("disk full")

    build_warehouse(warehouse, "B")
    with pytest.raises(RuntimeError, match="disk full"):
        publish(warehouse, published, external_tables={"srp_places": fail_midway})

    assert current_version(published) == good.version
    assert (published / "published.duckdb").stat().st_ino == linked_inode
    assert [p.name for p in (published / "versions").iterdir()] == [good.version]
    current = published / "current" / "published.duckdb"
    assert query(current, "select distinct marker from gold.caseload") == [("A",)]


def test_a_warehouse_without_gold_is_not_published(tmp_path, published):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="no gold tables"):
        publish(empty, published)
    assert current_version(published) is None


READER = textwrap.dedent(
    """
    import json, sys, pathlib, duckdb
    published, stop, ready = (pathlib.Path(a) for a in sys.argv[1:4])
    paths = [published / "current" / "published.duckdb", published / "published.duckdb"]
    reads, errors, stopping, i = [], [], False, 0
    while not stopping:
        stopping = stop.exists()  # one more read after the signal: it sees the last version
        try:
            with duckdb.connect(str(paths[i % 2]), read_only=True) as con:
                version = con.execute("select version from meta.publication").fetchone()[0]
                markers = sorted({
                    row[0] for table in ("caseload", "srp_places", "timeliness")
                    for row in con.execute(f"select distinct marker from gold.{table}").fetchall()
                })
                rows = {table: con.execute(f"select count(*) from gold.{table}").fetchone()[0]
                        for table in ("caseload", "srp_places", "timeliness")}
            reads.append({"version": version, "markers": markers, "rows": rows})
            ready.touch()
        except Exception as error:
            errors.append(repr(error))
        i += 1
    print(json.dumps({"reads": reads, "errors": errors}))
    """
)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def test_a_reader_process_sees_one_whole_version_while_publishing(tmp_path, warehouse, published):
    marker_of = {publish(warehouse, published).version: "A"}
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop), str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(ready, reader)
        for marker, extra in (("B", 2), ("C", 4)):
            build_warehouse(warehouse, marker, extra_rows=extra)
            marker_of[publish(warehouse, published).version] = marker
        stop.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    result = json.loads(out)
    assert result["errors"] == []
    assert result["reads"], "the reader read nothing"
    for read in result["reads"]:
        manifest = read_manifest(published, read["version"])
        assert read["markers"] == [marker_of[read["version"]]]
        assert read["rows"] == {t: manifest["tables"][f"gold.{t}"]["rows"] for t in GOLD_TABLES}
    seen = {read["version"] for read in result["reads"]}
    assert min(marker_of) in seen and max(marker_of) in seen


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    con.execute("select count(*) from gold.caseload").fetchall()
    print("holding", flush=True)
    sys.stdin.read()
    """
)


def test_old_versions_are_pruned_unless_a_reader_holds_them(warehouse, published):
    first = publish(warehouse, published, keep=2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(first.database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        second = publish(warehouse, published, keep=2)
        third = publish(warehouse, published, keep=2)
        assert third.pruned == [] and third.kept_in_use == [first.version]
    finally:
        holder.communicate(input="", timeout=30)
    fourth = publish(warehouse, published, keep=2)
    assert fourth.pruned == [first.version, second.version]
    assert sorted(p.name for p in (published / "versions").iterdir()) == [third.version, fourth.version]


def test_gold_model_names_come_from_the_dbt_manifest(tmp_path):
    manifest = tmp_path / "manifest.json"
    node = lambda name, schema, kind="model": {  # noqa: E731
        "name": name, "resource_type": kind, "config": {"schema": schema},
    }
    manifest.write_text(json.dumps({"nodes": {
        "model.p.srp_places": node("srp_places", "gold"),
        "model.p.ehcp_timeliness": node("ehcp_timeliness", "gold"),
        "model.p.silver_person": node("silver_person", "silver"),
        "model.p.stg_person": node("stg_person", None),
        "test.p.not_null": node("not_null_x", "gold", kind="test"),
    }}))
    assert gold_model_names(manifest) == ["ehcp_timeliness", "srp_places"]
