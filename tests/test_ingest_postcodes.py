"""The ONS postcode lookup (NSPL) landing -> bronze.postcodes (orchestration/ingest/postcodes.py):
read by DuckDB's CSV reader (a national file is ~2.7 million rows), the columns the platform
reads, postcode_key, file date from the name, quarantines, superseded versions, the balance."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import duckdb
import pytest

from orchestration.ingest.postcodes import file_date, ingest_postcodes
from orchestration.quality.registry_balance import unbalanced_files

NAME = "NSPL21_FEB_2025_UK.csv"
ROWS = 200_000
BLANK_ROWS = (5, 150_000)  # data rows (0-based) with no pcds
# The NSPL layout the sample writes (common16: the columns in this order); PCDS in upper case
# to show columns are matched case-insensitively.
HEADER = ("pcd,pcd2,PCDS,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa21,cty,ced,laua,"
          "ward,ctry,rgn,lat,long").split(",")


def postcode(i: int) -> str:
    """A different postcode for each i below 669,240."""
    return f"CT{i // 6760 % 99 + 1} {i // 676 % 10}{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}"


def write_nspl(path, rows: int, blank=(), header=HEADER) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for i in range(rows):
            pc = "" if i in blank else postcode(i)
            out.writerow([pc, pc, pc, "198001", "202001" if i % 1000 == 0 else "", "0",
                          str(600000 + i % 1000), str(150000 + i % 997), "1", "E00000001",
                          "E10000016", "E58000001", "E07000106", "E05000001", "E92000001",
                          "E12000008", "51.28", "1.08"][:len(header)])


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """A generated 200k-row NSPL file (the size class of a real one is 2.7M rows)."""
    path = tmp_path_factory.mktemp("nspl") / NAME
    write_nspl(path, ROWS, BLANK_ROWS)
    return path


@pytest.fixture
def env(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    (landing / "postcodes").mkdir(parents=True)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        yield con, landing, archive


def one(con, sql: str):
    return con.execute(sql).fetchall()[0]


def test_file_date_from_the_name():
    assert file_date("NSPL21_FEB_2025_UK.csv") == dt.date(2025, 2, 1)
    assert file_date("nspl_may_2024_uk.csv") == dt.date(2024, 5, 1)
    assert file_date("NSPL21_XYZ_2025_UK.csv") is None
    assert file_date("postcodes.csv") is None


def test_a_national_sized_file_loads_through_duckdb(env, national):
    con, landing, archive = env
    shutil.copy(national, landing / "postcodes" / NAME)
    summary = ingest_postcodes(con, landing, archive)
    assert (summary.files_loaded, summary.rows_loaded, summary.rows_rejected) == (
        1, ROWS - len(BLANK_ROWS), len(BLANK_ROWS))
    assert one(con, "SELECT count(*), count(DISTINCT postcode_key), min(_file_date),"
                    " count(doterm) FROM bronze.postcodes") == (
        ROWS - len(BLANK_ROWS), ROWS - len(BLANK_ROWS), dt.date(2025, 2, 1),
        ROWS // 1000 - 1)  # terminated: every 1000th row, less blank row 150,000
    # data row i is spreadsheet row i + 2 (header = 1)
    assert one(con, "SELECT pcds, postcode_key, oseast1m, osnrth1m, laua FROM bronze.postcodes"
                    " WHERE _row_number = 1236") == (
        postcode(1234), postcode(1234).replace(" ", "").upper(), str(600000 + 234),
        str(150000 + 1234 % 997), "E07000106")
    errors = con.execute("SELECT rule, row_number, column_name, value, message"
                         " FROM bronze.load_errors ORDER BY row_number").fetchall()
    assert [(rule, row, column, value) for rule, row, column, value, _ in errors] == [
        ("required", 7, "pcds", None), ("required", 150_002, "pcds", None)]
    assert postcode(5) not in errors[0][4]
    assert not unbalanced_files(con)[1]


def test_a_newer_version_of_the_file_supersedes_the_earlier(env):
    con, landing, archive = env
    path = landing / "postcodes" / NAME
    write_nspl(path, 10)
    ingest_postcodes(con, landing, archive)
    write_nspl(path, 12)
    assert ingest_postcodes(con, landing, archive).files_loaded == 1
    assert one(con, "SELECT count(*) FILTER (_superseded_by_sha256 IS NULL),"
                    " count(*) FILTER (_superseded_by_sha256 IS NOT NULL)"
                    " FROM bronze.postcodes") == (12, 10)
    assert ingest_postcodes(con, landing, archive).files_unchanged == 1
    assert not unbalanced_files(con)[1]


@pytest.mark.parametrize("name, header, content, rule", [
    ("postcodes.csv", HEADER, None, "bad_file_name"),
    (NAME, [h for h in HEADER if h != "laua"], None, "missing_column"),
    (NAME, HEADER, b"pcds,laua\n\xff\xfe\x00bad\n", "unreadable"),
])
def test_a_file_that_cannot_be_used_is_quarantined(env, name, header, content, rule):
    con, landing, archive = env
    path = landing / "postcodes" / name
    if content is None:
        write_nspl(path, 3, header=header)
    else:
        path.write_bytes(content)
    summary = ingest_postcodes(con, landing, archive)
    assert summary.files_quarantined == 1
    assert one(con, "SELECT rule, severity FROM bronze.load_errors") == (rule, "error")
    assert one(con, "SELECT count(*) FROM bronze.postcodes") == (0,)
    assert not unbalanced_files(con)[1]


def test_blank_rows_are_not_data_rows_and_the_balance_counts_on_its_own(env):
    """A row of empty fields is not a data row (as for every CSV source); the balance counts
    the archived file by streaming it with pyarrow, so losing a bronze row shows."""
    con, landing, archive = env
    path = landing / "postcodes" / NAME
    write_nspl(path, 6, blank=(2,))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("," * (len(HEADER) - 1) + "\n")
    summary = ingest_postcodes(con, landing, archive)
    assert (summary.rows_loaded, summary.rows_rejected) == (5, 1)
    assert not unbalanced_files(con)[1]
    con.execute("DELETE FROM bronze.postcodes WHERE _row_number = 2")
    [bad] = unbalanced_files(con)[1]
    assert (bad.landed, bad.loaded, bad.rejected) == (6, 4, 1)
