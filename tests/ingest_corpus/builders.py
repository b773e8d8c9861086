"""Tiny, valid inputs for every CSV source, and writers that can break them on purpose."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
from stdnum.gb.upn import calc_check_digit

from orchestration import contract


def upn(serial: int, la: str = "886") -> str:
    digits = f"{la}{200100000 + serial:09d}"
    return calc_check_digit(digits) + digits


def person(pid, **over):
    row = {"person_id": str(pid), "upn": upn(pid), "uln": "", "surname": f"Smith{pid}",
           "forename": "Alex", "date_of_birth": "01/09/2014", "sex": "M", "ethnicity": "WBRI",
           "postcode": "ME14 1XX", "home_easting": "575000", "home_northing": "155000",
           "home_district": "Maidstone"}
    return {**row, **over}


def synergy_tables() -> dict[str, list[dict]]:
    """A consistent two-child extract: every foreign key resolves."""
    return {
        "person.csv": [person(1), person(2, sex="F", home_district="Thanet")],
        "request.csv": [
            {"request_id": "10", "person_id": "1", "received_date": "03/01/2024",
             "request_source": "2", "rya": "N", "request_outcome": "A",
             "request_outcome_date": "20/02/2024"},
            {"request_id": "20", "person_id": "2", "received_date": "2024-02-05",
             "request_source": "1", "rya": "", "request_outcome": "",
             "request_outcome_date": ""},
        ],
        "assessment.csv": [
            {"assessment_id": "100", "request_id": "10", "assessment_outcome": "I",
             "assessment_outcome_date": "01/05/2024", "week20_exception": "N"},
        ],
        "named_plan.csv": [
            {"plan_id": "1000", "person_id": "1", "assessment_id": "100",
             "start_date": "01/05/2024", "cease_date": "", "cease_reason": ""},
            {"plan_id": "2000", "person_id": "2", "assessment_id": "",
             "start_date": "01/03/2023", "cease_date": "", "cease_reason": ""},
        ],
        "sen_need.csv": [
            {"plan_id": "1000", "sen_type": "ASD", "sen_type_rank": "1"},
            {"plan_id": "1000", "sen_type": "SLCN", "sen_type_rank": "2"},
            {"plan_id": "2000", "sen_type": "HI", "sen_type_rank": "1"},
        ],
        "placement.csv": [
            {"placement_id": "5000", "plan_id": "1000", "urn": "118000", "ukprn": "",
             "sen_setting": "", "placement_rank": "1", "entry_date": "01/09/2024",
             "leaving_date": "", "sen_unit_indicator": "N",
             "resourced_provision_indicator": "Y", "srp_designation": "ASD"},
            {"placement_id": "6000", "plan_id": "2000", "urn": "", "ukprn": "",
             "sen_setting": "EHE", "placement_rank": "1", "entry_date": "01/03/2023",
             "leaving_date": "", "sen_unit_indicator": "", "resourced_provision_indicator": "N",
             "srp_designation": ""},
        ],
        "annual_review.csv": [
            {"review_id": "7000", "plan_id": "2000", "review_meeting_date": "01/03/2024",
             "review_outcome": "M", "review_decision_date": "10/03/2024"},
        ],
    }


def csv_bytes(rows: list[dict], header: list[str] | None = None, *, encoding="utf-8",
              newline="\n", bom=False) -> bytes:
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_extract(landing: Path, date: str, tables: dict[str, list[dict]] | None = None, *,
                  success=True, skip=(), raw: dict[str, bytes] | None = None) -> Path:
    """synergy/<date>/ with the seven files (minus ``skip``); ``raw`` overrides a file's bytes."""
    tables = tables if tables is not None else synergy_tables()
    folder = landing / "synergy" / date
    headers = {s.file_name: list(s.columns) for s in contract.SYNERGY_FILES}
    for name in headers:
        if name in skip:
            continue
        data = (raw or {}).get(name)
        if data is None:
            data = csv_bytes(tables.get(name, []), headers[name])
        write(folder / name, data)
    if success:
        write(folder / "_SUCCESS", b"")
    return folder


GIAS_HEADER = [f.name for f in contract.GIAS.fields] + ["OpenDate", "Street"]


def gias_row(urn: str, **over) -> dict:
    row = {"URN": urn, "LA (code)": "886", "LA (name)": "Kent", "EstablishmentNumber": "2001",
           "EstablishmentName": "Sandgate Primary School",
           "TypeOfEstablishment (name)": "Community school",
           "EstablishmentTypeGroup (name)": "Local authority maintained schools",
           "EstablishmentStatus (name)": "Open", "PhaseOfEducation (name)": "Primary",
           "StatutoryLowAge": "4", "StatutoryHighAge": "11",
           "DistrictAdministrative (name)": "Folkestone and Hythe", "Easting": "620000",
           "Northing": "135000", "TypeOfResourcedProvision (name)": "Resourced provision",
           "ResourcedProvisionCapacity": "15", "ResourcedProvisionOnRoll": "12",
           "SenUnitCapacity": "", "SenUnitOnRoll": "", "OpenDate": "01-09-1990",
           "Street": "Coolinge Lane"}
    return {**row, **over}


SRP_HEADER = list(contract.SRP_REGISTER.columns)


def srp_row(srp_id: str, **over) -> dict:
    row = {"srp_id": srp_id, "urn": "118000", "designation": "ASD", "phase": "Primary",
           "academic_year": "2024/25", "commissioned_places": "15", "sla_start": "01/09/2024",
           "sla_end": "31/08/2025", "place_funding_gbp": "10000", "top_up_gbp": "8500.50"}
    return {**row, **over}


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def rows(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_errors(con, source_file: str | None = None) -> list[dict]:
    where, params = ("WHERE source_file = ?", [source_file]) if source_file else ("", [])
    return rows(con, f"SELECT * FROM bronze.load_errors {where}"
                     " ORDER BY source_file, row_number NULLS FIRST, column_name", params)


def registry(con, source_file: str | None = None) -> list[dict]:
    where, params = ("WHERE source_file = ?", [source_file]) if source_file else ("", [])
    return rows(con, f"SELECT * FROM bronze.file_registry {where} ORDER BY source_file,"
                     " first_seen_at", params)


def assert_registry_balanced(con) -> None:
    """The registry's own figures balance, and so do the independent counts of the blocking
    check (the archived files parsed again, bronze by lineage, load_errors)."""
    from orchestration.quality.registry_balance import unbalanced_files

    bad = rows(con, "SELECT source_file, rows_landed, rows_loaded, rows_rejected"
                    " FROM bronze.file_registry"
                    " WHERE rows_landed <> rows_loaded + rows_rejected")
    assert not bad, bad
    _, unbalanced = unbalanced_files(con)
    assert not unbalanced, [u.describe() for u in unbalanced]


def table_count(con, name: str, where: str = "true") -> int:
    return con.execute(f"SELECT count(*) FROM bronze.{name} WHERE {where}").fetchone()[0]
