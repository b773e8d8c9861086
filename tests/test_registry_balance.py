"""The blocking check registry_rows_balance can fail: each side is counted on its own.

A small warehouse is loaded (an SRP register with one rejected row and a blank row, one
Synergy extract, one school return) and balances. Then each side is corrupted in turn and the
check fails, naming the file: the registry's rows_landed, a bronze row deleted (by lineage; for
Synergy a row valid on the extract date), a load_errors row deleted or added, and the archived
copy itself grown by a row (the landed count is a parse of the archive, not the registry:
pyarrow for CSV, openpyxl for workbooks).
Before this check counted sides independently, every corruption but the first passed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest_corpus.builders import (
    SRP_HEADER, csv_bytes, srp_row, upn, write, write_extract,
)
from orchestration.defs.ingest.assets import registry_rows_balance
from orchestration.ingest import ingest_school_returns, ingest_srp_register, ingest_synergy
from orchestration.ingest.csv_reader import read_csv
from orchestration.quality.registry_balance import csv_data_rows, unbalanced_files
from orchestration.resources import WarehouseResource
from orchestration.returns.model import Finance, Outcomes, PlacesRow, PupilRow, SchoolReturn
from orchestration.returns.template import write_return_workbook

SRP = "srp_register/srp_register_2024-25.csv"
EXTRACT = "synergy/2025-01-17"
PERSON = f"{EXTRACT}/person.csv"
RETURN = "school_returns/2024-25/118000.xlsx"


def a_return() -> SchoolReturn:
    return SchoolReturn(
        urn="118000", school_name="Sandgate Primary School", academic_year="2024/25",
        contact_role="SENCo", date_completed=dt.date(2025, 7, 1),
        places=[PlacesRow("ASD", 15, 12, 1, 2, 5), PlacesRow("SLCN", 8, 8, 0, 0, 3)],
        pupils=[PupilRow(upn(i + 1), 5, "ASD", dt.date(2023, 9, 1), attendance_pct=95.5,
                         permanent_exclusion="N", prefilled=True) for i in range(2)],
        finance=Finance(income_place_funding=150000, income_top_up=90000, fte_teachers=1.5),
        outcomes=Outcomes(outreach_sessions=4, pct_parents_satisfied=92),
    )


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """A warehouse file holding the three sources, loaded and in balance."""
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    srp = csv_bytes([srp_row("S1"), srp_row("S2", urn="11800")], SRP_HEADER)
    write(landing / SRP, srp + b",,,,\r\n")  # a blank row: not a data row
    write_extract(landing, EXTRACT.split("/")[1])
    (landing / RETURN).parent.mkdir(parents=True)
    write_return_workbook(landing / RETURN, a_return())
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for ingest in (ingest_srp_register, ingest_synergy, ingest_school_returns):
            ingest(con, landing, archive)
    return path


def check(path: Path) -> dg.AssetCheckResult:
    """The Dagster asset check itself, outside a run (so every file is parsed again)."""
    context = dg.build_asset_check_context(
        resources={"warehouse": WarehouseResource(path=str(path))})
    return registry_rows_balance(context)


def corrupt(path: Path, sql: str, params=None) -> None:
    with duckdb.connect(str(path)) as con:
        changed = con.execute(sql, params or []).fetchall()[0][0]
    assert changed == 1, sql


def registered(path: Path, source_file: str) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT rows_landed, rows_loaded, rows_rejected, archived_path"
                           " FROM bronze.file_registry WHERE source_file = ?",
                           [source_file]).fetchall()[0]


def assert_fails_naming(path: Path, counts: str) -> None:
    """The check fails, naming the one file out of balance with its counts."""
    result = check(path)
    assert not result.passed
    assert result.metadata["files_out_of_balance"].value == 1
    assert result.description == counts


def test_the_loaded_warehouse_balances(warehouse):
    result = check(warehouse)
    assert result.passed, result.description
    assert result.metadata["files_checked"].value == 1 + 7 + 1
    assert registered(warehouse, SRP)[:3] == (2, 1, 1)
    assert registered(warehouse, PERSON)[:3] == (2, 2, 0)
    assert registered(warehouse, RETURN)[:3] == (2 + 2 + 1 + 1, 6, 0)


def test_registry_rows_landed_corrupted(warehouse):
    corrupt(warehouse, "UPDATE bronze.file_registry SET rows_landed = 3, rows_rejected = 2"
                       " WHERE source_file = ?", [SRP])
    assert_fails_naming(warehouse, f"{SRP}: landed 2, loaded 1, rejected 1;"
                                   " the registry says 3/1/2")


def test_a_bronze_row_deleted(warehouse):
    corrupt(warehouse, "DELETE FROM bronze.srp_register WHERE srp_id = 'S1'")
    assert_fails_naming(warehouse, f"{SRP}: landed 2, loaded 0, rejected 1;"
                                   " the registry says 2/1/1")


def test_a_synergy_row_valid_on_the_extract_date_deleted(warehouse):
    corrupt(warehouse, "DELETE FROM bronze.synergy_person WHERE person_id = '2'")
    assert_fails_naming(warehouse, f"{PERSON}: landed 2, loaded 1, rejected 0;"
                                   " the registry says 2/2/0")


def test_a_synergy_row_closed_before_the_extract_date(warehouse):
    corrupt(warehouse, "UPDATE bronze.synergy_person SET _valid_to = _valid_from"
                       " WHERE person_id = '1'")
    assert_fails_naming(warehouse, f"{PERSON}: landed 2, loaded 1, rejected 0;"
                                   " the registry says 2/2/0")


def test_a_workbook_row_deleted(warehouse):
    corrupt(warehouse, "DELETE FROM bronze.return_places WHERE designation = 'SLCN'")
    assert_fails_naming(warehouse, f"{RETURN}: landed 6, loaded 5, rejected 0;"
                                   " the registry says 6/6/0")


def test_a_load_error_deleted(warehouse):
    corrupt(warehouse, "DELETE FROM bronze.load_errors WHERE source_file = ?"
                       " AND severity = 'error'", [SRP])
    assert_fails_naming(warehouse, f"{SRP}: landed 2, loaded 1, rejected 0;"
                                   " the registry says 2/1/1")


def test_a_load_error_added_for_a_loaded_row(warehouse):
    corrupt(warehouse, "INSERT INTO bronze.load_errors (source, source_file, sha256, row_number,"
                       " rule, message, severity) SELECT source, source_file, sha256, 2,"
                       " 'invalid_urn', 'planted', 'error' FROM bronze.file_registry"
                       " WHERE source_file = ?", [SRP])
    assert_fails_naming(warehouse, f"{SRP}: landed 2, loaded 1, rejected 2;"
                                   " the registry says 2/1/1")


def test_the_archived_copy_grown_by_a_row(warehouse):
    archived = Path(registered(warehouse, SRP)[3])
    archived.write_bytes(archived.read_bytes() + csv_bytes([srp_row("S3")], SRP_HEADER)
                         .split(b"\n", 1)[1])
    assert_fails_naming(warehouse, f"{SRP}: landed 3, loaded 1, rejected 1;"
                                   " the registry says 2/1/1")


def test_the_archived_workbook_grown_by_a_places_row(warehouse):
    archived = Path(registered(warehouse, RETURN)[3])
    three_rows = a_return()
    three_rows.places.append(PlacesRow("HI", 4, 4, 0, 0, 1))
    write_return_workbook(archived, three_rows)
    assert_fails_naming(warehouse, f"{RETURN}: landed 7, loaded 6, rejected 0;"
                                   " the registry says 6/6/0")


def test_only_versions_processed_since_the_run_started_are_parsed_again(warehouse):
    archived = Path(registered(warehouse, SRP)[3])
    archived.write_bytes(archived.read_bytes() + b"S3,118000\n")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        later = dt.datetime(2999, 1, 1)
        assert unbalanced_files(con, since=later) == (9, [])
        assert [b.source_file for b in unbalanced_files(con, since=None)[1]] == [SRP]


# --- the independent parse agrees with the loader on awkward CSV --------------------------

AWKWARD = {
    "quoted newline and comma": b'a,b,c\r\n1,"x\r\ny, z",3\r\n4,5,6\r\n',
    "blank rows anywhere": b'\r\n,,\r\na,b,c\r\n  , ,\r\n1,2,3\r\n"",,\r\n\r\n4,5,6\r\n,,',
    "ragged rows": b"a,b,c\n1,2\n1,2,3,4\n,\n5\n",
    "lone CR line ends": b"a,b\r1,2\r3,4\r",
    "BOM and Windows-1252": b"\xef\xbb\xbfa,b\n1,2\n",
    "Windows-1252": b"a,b\n\xa31,caf\xe9\n",
    "header only": b"a,b,c\n",
    "quote inside a field": b'a,b\n1,2"3\n"4",5\n',
    "no final newline": b"a,b\n1,2",
}


@pytest.mark.parametrize("data", AWKWARD.values(), ids=AWKWARD.keys())
def test_the_independent_count_matches_the_loader(data):
    assert csv_data_rows(data) == len(read_csv(data, "x.csv").records)


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"a,b\n\x81,2\n", b"a\x00,b\n1,2\n"],
                         ids=["empty", "whitespace", "undecodable", "NUL bytes"])
def test_files_the_loader_cannot_read_land_no_rows(data):
    assert csv_data_rows(data) == 0
