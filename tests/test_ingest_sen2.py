"""SEN2 returns landing -> bronze (orchestration/ingest/sen2.py): both formats give the same
bronze rows, a hostile file is quarantined while the night goes on, folders behave like Synergy
extract folders (landed twice, waiting for _SUCCESS, re-delivered), a record with an error is
rejected with its children, and the registry balance counts SEN2 records on its own."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.ingest import schema, sen2_bronze_schema
from orchestration.ingest.sen2 import TABLES, ingest_sen2
from orchestration.quality.registry_balance import unbalanced_files
from orchestration.quality.sen2_records import xml_records
from orchestration.sen2 import spec
from orchestration.sen2.example import example_return
from orchestration.sen2.writer import write_blade, write_xml

DATE = "2025-01-20"
PERSONS = 4
PER_PERSON = 9  # person, request, assessment, plan, plan detail, active plans, placement,
#                two SEN needs
RECORDS = 1 + PERSONS * PER_PERSON  # and the header
LINEAGE = ("_blade_ids", "_source_file", "_sha256", "_row_number", "_loaded_at")


def bad_upn(value: str) -> str:
    """The UPN with a wrong check letter."""
    return ("B" if value[0] != "B" else "C") + value[1:]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The example return (and one with person 2's UPN broken) as XML and as a Blade set."""
    root = tmp_path_factory.mktemp("sen2_written")
    out = {}
    for name, broken in (("good", False), ("bad_upn", True)):
        result = example_return(PERSONS)
        if broken:
            person = result.records["person"][1]
            person.values["upn"] = bad_upn(person.values["upn"])
        (root / name / "xml").mkdir(parents=True)
        write_xml(result, root / name / "xml" / "return.xml")
        out[(name, "xml")] = root / name / "xml"
        write_blade(result, root / name / "blade", dt.date(2025, 1, 21))
        out[(name, "blade")] = root / name / "blade"
    return out


def land(landing: Path, source: Path, date: str = DATE, success: bool = True) -> Path:
    folder = landing / "sen2" / date
    shutil.copytree(source, folder)
    if success:
        (folder / "_SUCCESS").touch()
    return folder


@pytest.fixture
def env(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        yield con, landing, archive


def ingest(env):
    con, landing, archive = env
    return ingest_sen2(con, landing, archive)


def registry(con) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in con.execute(
        "SELECT source_file, status, rows_landed, rows_loaded, rows_rejected, reason"
        " FROM bronze.file_registry WHERE source = 'sen2'").fetchall()}


def bronze_rows(con, table: str) -> list[tuple]:
    columns = [c for c, _ in sen2_bronze_schema.SEN2_TABLES[table] if c not in LINEAGE]
    names = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f"SELECT {names} FROM bronze.{table} ORDER BY _position").fetchall()


def count(con, sql: str, params=None) -> int:
    return con.execute(sql, params or []).fetchall()[0][0]


# --- the bronze tables -------------------------------------------------------------------------

def test_bronze_tables_have_every_item_of_every_year_and_the_lineage_columns():
    for module in spec.MODULES:
        columns = dict(sen2_bronze_schema.SEN2_TABLES[f"sen2_{module.key}"])
        for item in spec.ITEMS:
            if item.module == module.key:
                assert columns[item.name] == "VARCHAR"
        assert columns["_position"] == columns["_row_number"] == "BIGINT"
        assert columns["_collection_year"] == "INTEGER" and columns["_extract_date"] == "DATE"
    assert dict(sen2_bronze_schema.SEN2_TABLES["sen2_person"]).keys() >= {"gendercurrent", "sex"}
    lineage = dict(sen2_bronze_schema.SEN2_LINEAGE_COLUMNS)
    expected = dict(schema.LINEAGE_COLUMNS + schema.SUPERSEDED_COLUMN)
    del expected["_row_number"]  # a record column (BIGINT)
    assert lineage == expected
    assert schema.bronze_tables().keys() >= sen2_bronze_schema.BRONZE_TABLES.keys()


def test_xml_and_blade_land_as_the_same_bronze_rows(written, tmp_path):
    rows = {}
    for fmt in ("xml", "blade"):
        landing = tmp_path / fmt / "landing"
        land(landing, written[("good", fmt)])
        with duckdb.connect() as con:
            summary = ingest_sen2(con, landing, tmp_path / fmt / "archive")
            assert summary.rows_loaded == RECORDS and summary.rows_rejected == 0
            rows[fmt] = {table: bronze_rows(con, table) for table in TABLES}
            blade_ids = count(con, "SELECT count(_blade_ids) FROM bronze.sen2_person")
            assert blade_ids == (PERSONS if fmt == "blade" else 0)
            assert not unbalanced_files(con)[1]
    assert rows["xml"] == rows["blade"]
    assert sum(len(r) for r in rows["xml"].values()) == RECORDS
    person = rows["xml"]["sen2_person"][0]
    assert person[-3:] == (2025, dt.date(2025, 1, 20), None)  # year, extract date, superseded


# --- folders: waiting, landed twice, re-delivered, quarantined ------------------------------

def test_a_folder_without_success_waits_then_loads(env, written):
    con, landing, _ = env
    folder = land(landing, written[("good", "xml")], success=False)
    summary = ingest(env)
    assert summary.files_waiting == 1 and summary.files_loaded == 0
    assert registry(con)[f"sen2/{DATE}/return.xml"][:4] == ("waiting", 0, 0, 0)
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == 0
    (folder / "_SUCCESS").touch()
    assert ingest(env).files_loaded == 1
    assert registry(con)[f"sen2/{DATE}/return.xml"][:4] == ("loaded", RECORDS, RECORDS, 0)
    assert count(con, "SELECT count(*) FROM bronze.file_registry WHERE status = 'waiting'") == 0


@pytest.mark.parametrize("fmt", ["xml", "blade"])
def test_landed_twice_is_loaded_once(env, written, fmt):
    con, landing, _ = env
    land(landing, written[("good", fmt)])
    land(landing, written[("good", fmt)], date="2025-01-27")
    summary = ingest(env)
    files = 1 if fmt == "xml" else len(spec.MODULES)
    assert (summary.files_loaded, summary.files_duplicate) == (files, files)
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS
    again = ingest(env)
    assert again.files_unchanged == 2 * files and again.files_loaded == 0
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS
    assert not unbalanced_files(con)[1]


def test_a_redelivered_return_supersedes_the_first(env, written):
    con, landing, _ = env
    folder = land(landing, written[("good", "xml")])
    ingest(env)
    write_xml(example_return(PERSONS + 1), folder / "return.xml")
    assert ingest(env).files_loaded == 1
    current = count(con, "SELECT count(*) FROM bronze.sen2_person"
                         " WHERE _superseded_by_sha256 IS NULL")
    superseded = count(con, "SELECT count(*) FROM bronze.sen2_person"
                            " WHERE _superseded_by_sha256 IS NOT NULL")
    assert (current, superseded) == (PERSONS + 1, PERSONS)
    assert count(con, "SELECT count(*) FROM bronze.file_registry"
                      " WHERE superseded_by_sha256 IS NOT NULL") == 1
    assert not unbalanced_files(con)[1]


def test_a_blade_set_missing_a_file_is_quarantined_whole(env, written):
    con, landing, _ = env
    folder = land(landing, written[("good", "blade")])
    next(folder.glob("*_senneed.csv")).unlink()
    summary = ingest(env)
    assert summary.files_quarantined == len(spec.MODULES) - 1
    assert {row[0] for row in registry(con).values()} == {"quarantined"}
    assert all("missing_module_file" == rule for (rule,) in con.execute(
        "SELECT rule FROM bronze.load_errors").fetchall())
    assert sum(count(con, f"SELECT count(*) FROM bronze.{t}") for t in TABLES) == 0
    assert not unbalanced_files(con)[1]


# --- a record with an error ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "blade"])
def test_a_record_with_an_error_is_rejected_with_its_children(env, written, fmt):
    con, landing, _ = env
    land(landing, written[("bad_upn", fmt)])
    summary = ingest(env)
    rejected = PER_PERSON  # person 2 and every record of theirs
    assert (summary.rows_loaded, summary.rows_rejected) == (RECORDS - rejected, rejected)
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS - 1
    assert count(con, "SELECT count(*) FROM bronze.sen2_sen_need"
                      " WHERE _person_position = 2") == 0
    [error] = con.execute(
        "SELECT sheet, cell, column_name, value, personal, severity, message, row_number"
        " FROM bronze.load_errors WHERE rule = 'invalid_upn'").fetchall()
    assert error[:6] == ("person", "2", "upn", None, True, "error")
    assert "module 1 person record 2, item upn" in error[6] and error[7] is not None
    cascaded = con.execute("SELECT sheet, cell FROM bronze.load_errors"
                           " WHERE rule = 'parent_rejected' ORDER BY ALL").fetchall()
    assert cascaded == [("active_plans", "2"), ("assessment", "2"), ("named_plan", "2"),
                        ("placement_detail", "2"), ("plan_detail", "2"), ("requests", "2"),
                        ("sen_need", "3"), ("sen_need", "4")]
    upn = bad_upn(example_return(PERSONS).records["person"][1].values["upn"])
    messages = " ".join(m for (m,) in con.execute("SELECT message FROM bronze.load_errors")
                        .fetchall())
    assert upn not in messages and "Surname2" not in messages and "ME14" not in messages
    assert not unbalanced_files(con)[1]


# --- the registry balance counts SEN2 records on its own ----------------------------------------

def test_xml_records_are_counted_without_the_loader(written):
    assert xml_records(written[("good", "xml")] / "return.xml") == RECORDS


@pytest.mark.parametrize("fmt", ["xml", "blade"])
def test_registry_balance_fails_when_bronze_loses_a_record(env, written, fmt):
    con, landing, _ = env
    land(landing, written[("good", fmt)])
    ingest(env)
    assert not unbalanced_files(con)[1]
    con.execute("DELETE FROM bronze.sen2_sen_need WHERE _position = 1")
    [bad] = unbalanced_files(con)[1]
    assert bad.source_file.endswith("return.xml" if fmt == "xml" else "_senneed.csv")
    assert (bad.landed, bad.loaded) == ((RECORDS, RECORDS - 1) if fmt == "xml" else (8, 7))


def test_registry_balance_fails_when_the_archived_return_differs(env, written):
    con, landing, _ = env
    land(landing, written[("good", "xml")])
    ingest(env)
    [archived] = [Path(p) for (p,) in con.execute(
        "SELECT archived_path FROM bronze.file_registry").fetchall()]
    archived.chmod(0o600)
    write_xml(example_return(PERSONS - 1), archived)
    [bad] = unbalanced_files(con)[1]
    assert (bad.landed, bad.loaded) == (RECORDS - PER_PERSON, RECORDS)


# --- the night goes on ---------------------------------------------------------------------------

HOSTILE = (b'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY a "aaaaaaaaaa">'
           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Message>&b;</Message>\n')


def test_a_hostile_return_is_quarantined_and_the_other_sources_load(small_landing, tmp_path,
                                                                    clean_platform_env):
    """Synergy, GIAS and SEN2 ingested by their Dagster assets in one run, with the load
    audit and the registry balance check: the hostile XML is quarantined with its reason,
    Synergy and GIAS load, the balance holds."""
    from orchestration.dbt_project import DBT_PROJECT  # noqa: F401 - the venv's dbt on PATH
    from orchestration.defs.ingest import assets
    from orchestration.resources import build_resources
    from orchestration.settings import Paths

    root = tmp_path / "data"
    clean_platform_env.setenv("SEND_DATA_ROOT", str(root))
    landing = root / "landing"
    for folder in ("synergy", "gias"):
        shutil.copytree(small_landing / folder, landing / folder)
    shutil.copy(small_landing / "SAMPLE_DATA.json", landing / "SAMPLE_DATA.json")
    sen2 = landing / "sen2" / DATE
    sen2.mkdir(parents=True)
    (sen2 / "return.xml").write_bytes(HOSTILE)
    (sen2 / "_SUCCESS").touch()
    paths = Paths.from_env()
    result = dg.materialize(
        [assets.ingest_synergy, assets.ingest_gias, assets.ingest_sen2, assets.load_audit,
         assets.registry_rows_balance],
        resources=build_resources(paths), raise_on_error=False)
    assert result.success
    [check] = [e.asset_check_evaluation_data for e in result.all_events
               if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    assert check.passed
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        statuses = dict(con.execute("SELECT source, list_distinct(list(status))"
                                    " FROM bronze.file_registry GROUP BY source").fetchall())
        assert statuses == {"synergy": ["loaded"], "gias": ["loaded"], "sen2": ["quarantined"]}
        [(rule, message)] = con.execute("SELECT rule, message FROM bronze.load_errors"
                                        " WHERE source = 'sen2'").fetchall()
        assert rule == "dtd_forbidden" and "entity expansion" in message
        assert count(con, "SELECT count(*) FROM bronze.synergy_person") > 0
        assert sum(count(con, f"SELECT count(*) FROM bronze.{t}") for t in TABLES) == 0
    archived = list((root / "archive").rglob("*"))
    assert any(p.is_file() and p.read_bytes() == HOSTILE for p in archived)


def test_unknown_item_is_warned_and_kept_and_a_reader_problem_rejects_its_record(env, written):
    """An item no year has: a warning, the record loads, its value only in raw_record. An item
    given twice (the XML reader's own problem, found by the record its message names): the
    request is rejected with its records."""
    con, landing, _ = env
    folder = land(landing, written[("good", "xml")])
    text = (folder / "return.xml").read_text()
    second_person = text.index("<Person>", text.index("<Person>") + 1)
    at = text.index("<RYA>", second_person)
    text = text[:at] + "<RYA>0</RYA>" + text[at:]
    at = text.index("<Sex>")
    text = text[:at] + "<FavouriteColour>blue</FavouriteColour>" + text[at:]
    (folder / "return.xml").write_text(text)
    summary = ingest(env)
    assert (summary.rows_rejected, summary.warnings) == (PER_PERSON - 1, 1)
    rows = con.execute("SELECT rule, severity, sheet, cell, column_name, raw_record"
                       " FROM bronze.load_errors WHERE rule <> 'parent_rejected'"
                       " ORDER BY rule DESC").fetchall()
    assert [r[:5] for r in rows] == [("unexpected_item", "warning", "person", "1",
                                      "favouritecolour"),
                                     ("repeated_item", "error", "requests", "2", "rya")]
    assert '"favouritecolour": "blue"' in rows[0][5]
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS
    assert count(con, "SELECT count(*) FROM bronze.sen2_requests") == PERSONS - 1
    assert not unbalanced_files(con)[1]


# --- an XML return streamed in batches -----------------------------------------------------------

@pytest.fixture
def one_person_batches(monkeypatch):
    """Batches of one person, so the example's four persons stream as four batches."""
    from orchestration.ingest import sen2

    monkeypatch.setattr(sen2, "BATCH_PERSONS", 1)


def test_batches_give_the_same_rows_as_one_batch(written, tmp_path, monkeypatch):
    from orchestration.ingest import sen2

    rows = {}
    for size in (1, 1000):
        monkeypatch.setattr(sen2, "BATCH_PERSONS", size)
        landing = tmp_path / str(size) / "landing"
        land(landing, written[("bad_upn", "xml")])
        with duckdb.connect() as con:
            summary = ingest_sen2(con, landing, tmp_path / str(size) / "archive")
            rows[size] = ({table: bronze_rows(con, table) for table in TABLES},
                          con.execute("SELECT rule, sheet, cell, message FROM bronze.load_errors"
                                      " ORDER BY ALL").fetchall(),
                          (summary.rows_loaded, summary.rows_rejected))
    assert rows[1] == rows[1000]
    assert rows[1][2] == (RECORDS - PER_PERSON, PER_PERSON)


@pytest.mark.parametrize("fmt", ["xml", "blade"])
def test_a_person_given_twice_is_rejected_with_their_records(env, tmp_path, fmt,
                                                             one_person_batches):
    """Found only once every batch is read: the later person record and all of theirs are
    taken out before anything reaches bronze."""
    con, landing, _ = env
    result = example_return(PERSONS)
    upn = result.records["person"][0].values["upn"]
    result.records["person"][3].values["upn"] = upn
    source = tmp_path / "twice"
    source.mkdir()
    if fmt == "xml":
        write_xml(result, source / "return.xml")
    else:
        write_blade(result, source, dt.date(2025, 1, 21))
    land(landing, source)
    summary = ingest(env)
    assert (summary.rows_loaded, summary.rows_rejected) == (RECORDS - PER_PERSON, PER_PERSON)
    assert count(con, "SELECT count(*) FROM bronze.sen2_sen_need WHERE _person_position = 4") == 0
    [error] = con.execute("SELECT sheet, cell, column_name, value, personal, message"
                          " FROM bronze.load_errors WHERE rule = 'duplicate_person'").fetchall()
    assert error[:5] == ("person", "4", "upn", None, True)
    assert "same upn as person record 1" in error[5]
    assert count(con, "SELECT count(*) FROM bronze.load_errors WHERE rule = 'parent_rejected'"
                      " AND message LIKE '%belongs to module 1 person record 4%'") == PER_PERSON - 1
    messages = " ".join(m for (m,) in con.execute("SELECT message FROM bronze.load_errors")
                        .fetchall())
    assert upn not in messages
    assert not unbalanced_files(con)[1]


def test_a_header_error_rejects_every_record_of_every_batch(env, tmp_path, one_person_batches):
    con, landing, _ = env
    result = example_return(PERSONS)
    result.header.values["lea"] = "88"  # not a 3-digit LA number
    (tmp_path / "bad_header").mkdir()
    write_xml(result, tmp_path / "bad_header" / "return.xml")
    land(landing, tmp_path / "bad_header")
    summary = ingest(env)
    assert (summary.rows_loaded, summary.rows_rejected) == (0, RECORDS)
    assert count(con, "SELECT count(*) FROM bronze.load_errors WHERE rule = 'invalid_la_code'") == 1
    assert not unbalanced_files(con)[1]


def test_a_return_cut_short_after_some_batches_is_quarantined_and_changes_nothing(
        env, written, one_person_batches):
    """The earlier version of the file stays current: bronze changes only once a whole file
    has been read."""
    con, landing, _ = env
    folder = land(landing, written[("good", "xml")])
    ingest(env)
    text = (folder / "return.xml").read_bytes()
    (folder / "return.xml").write_bytes(text[: text.index(b"</Persons>")])  # after person 4
    summary = ingest(env)
    assert summary.files_quarantined == 1
    [(rule,)] = con.execute("SELECT rule FROM bronze.load_errors").fetchall()
    assert rule == "truncated"
    assert count(con, "SELECT count(*) FROM bronze.sen2_person"
                      " WHERE _superseded_by_sha256 IS NULL") == PERSONS
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS
    assert not unbalanced_files(con)[1]


def test_a_return_rewritten_while_it_loads_is_not_loaded_and_loads_next_run(env, written,
                                                                            monkeypatch):
    """The return is read from the landed file while its archive copy is made: a file written
    to in place while it is read (an upload still going on) fails the load (rolled back,
    nothing registered, nothing in bronze) and the next run loads the settled file."""
    from orchestration.ingest import sen2 as ingest_module
    from orchestration.ingest.runner import IngestFailed

    con, landing, _ = env
    folder = land(landing, written[("good", "xml")])
    landed = folder / "return.xml"
    staged = ingest_module._Staged

    original = landed.read_bytes()

    def rewritten(add):
        def adding(self, *args, **kwargs):
            if landed.read_bytes() == original:  # once, while the batches are read
                with open(landed, "r+b") as handle:  # in place: the same file, other bytes
                    handle.seek(-2, os.SEEK_END)
                    handle.write(b"<!")
            return add(self, *args, **kwargs)
        return adding

    monkeypatch.setattr(ingest_module, "BATCH_PERSONS", 1)
    monkeypatch.setattr(staged, "add", rewritten(staged.add))
    monkeypatch.setattr(staged, "add_columns", rewritten(staged.add_columns))
    with pytest.raises(IngestFailed):
        ingest(env)
    assert count(con, "SELECT count(*) FROM bronze.file_registry WHERE source = 'sen2'") == 0
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == 0
    monkeypatch.undo()
    landed.write_bytes((written[("good", "xml")] / "return.xml").read_bytes())
    ingest(env)
    assert registry(con)[f"sen2/{DATE}/return.xml"][:2] == ("loaded", RECORDS)
    assert count(con, "SELECT count(*) FROM bronze.sen2_person") == PERSONS
