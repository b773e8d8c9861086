"""GIAS, SRP register and DfE files, and the CSV reading rules every CSV source shares.

Cases (part of the bad-input corpus, see also test_ingest_synergy.py, test_ingest_returns.py):

C1  empty file (0 bytes) -> quarantined empty_file, rows 0
C2  header only -> loaded with 0 rows
C3  truncated file (cut mid-row) -> wrong_field_count on that row, the rest load
C4  missing required columns -> quarantined, message names them, rows counted as rejected
C5  bytes invalid in UTF-8 and Windows-1252 (0x81) -> quarantined encoding
C6  UTF-8 with BOM -> first header still matches
C7  CRLF line endings -> no stray carriage returns in values
C8  header case and spaces (' SRP_ID ', 'Urn') -> matched
C9  reordered columns -> values land in the right columns
C10 extra columns -> ignored (GIAS: 130+ columns, only the contract's kept)
C11 Windows-1252 GIAS file with accented names -> decoded, encoding recorded
C12 NUL bytes (UTF-16 export) -> quarantined unreadable
C13 the same contract column twice -> quarantined duplicate_column
C14 blank lines and quoted newlines -> row numbers are the rows Excel shows
C15 negative commissioned places -> negative_value
C16 unknown designation -> unknown_code
C17 academic_year cell disagrees with the file name -> academic_year_mismatch
C18 not a whole number / not a number (£, thousands commas) -> not_an_integer / not_a_number
C19 required value blank -> required
C20 URN not 6 digits -> invalid_urn
C21 impossible date / wrong date shape in the optional SLA dates -> invalid_date warnings
    (two messages), the value blanked and the row kept
C22 duplicate key -> duplicate_key on the repeat only
C23 file name not in the contract's form -> quarantined bad_file_name (archived, registered)
C24 changed bytes under the same name -> new version; old rows marked superseded
C25 same bytes under another name -> duplicate (registered, not loaded)
C26 idempotency: second run loads nothing, counts unchanged
C27 GIAS: blank capacities allowed; a bad resourced-provision type / age (values that may be
    blank) is blanked with a warning, the school kept; a blank required name rejects the row
C28 DfE: z, x, c are values; a column a new release adds is stored; missing time_period
    quarantines
C29 the real DfE file (vendored in seeds/) loads every row
C30 a number too large for the warehouse (a 400,000-digit top-up, 11-digit places) ->
    out_of_range, not a silent NULL at the cast; the largest storable values load
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest_corpus.builders import (
    GIAS_HEADER, SRP_HEADER, assert_registry_balanced, connect, csv_bytes, gias_row,
    load_errors, registry, rows, srp_row, table_count, write,
)
from orchestration.ingest import ingest_dfe, ingest_gias, ingest_srp_register

SRP = "srp_register/srp_register_2024-25.csv"
GIAS = "gias/edubase_20251001.csv"


@pytest.fixture
def env(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    return connect(), landing, tmp_path / "archive"


def run(env, ingest=ingest_srp_register):
    con, landing, archive = env
    summary = ingest(con, landing, archive)
    assert_registry_balanced(con)
    return summary


def land(env, name: str, data: bytes) -> Path:
    return write(env[1] / name, data)


def only_error(con, name=SRP):
    [error] = load_errors(con, name)
    return error


def srp_rows(con):
    return rows(con, "SELECT * FROM bronze.srp_register ORDER BY _row_number")


def test_empty_file_is_quarantined(env):
    con, _, _ = env
    land(env, SRP, b"")
    summary = run(env)
    assert summary.files_quarantined == 1
    error = only_error(con)
    assert (error["rule"], error["row_number"], error["severity"]) == ("empty_file", None,
                                                                        "error")
    assert error["message"] == f"{SRP}: the file is empty (no header row)"
    [reg] = registry(con)
    assert (reg["status"], reg["rows_landed"], reg["rows_rejected"]) == ("quarantined", 0, 0)
    assert reg["reason"] == error["message"]


def test_header_only_loads_nothing(env):
    con, _, _ = env
    land(env, SRP, ",".join(SRP_HEADER).encode() + b"\n")
    summary = run(env)
    assert (summary.files_loaded, summary.rows_loaded, summary.errors) == (1, 0, 0)
    assert registry(con)[0]["status"] == "loaded"


def test_truncated_file(env):
    con, _, _ = env
    data = csv_bytes([srp_row("S1"), srp_row("S2")], SRP_HEADER)
    land(env, SRP, data[:-25])  # the upload stopped part-way through the last row
    run(env)
    error = only_error(con)
    assert (error["rule"], error["row_number"], error["column_name"]) == ("wrong_field_count",
                                                                          3, None)
    assert error["message"] == (f"{SRP} row 3: has 8 fields but the header has 10 (a truncated"
                                " or badly quoted row); the row was not loaded")
    assert [r["srp_id"] for r in srp_rows(con)] == ["S1"]


def test_missing_required_columns_quarantine(env):
    con, _, _ = env
    header = [h for h in SRP_HEADER if h not in ("urn", "top_up_gbp")]
    land(env, SRP, csv_bytes([srp_row("S1"), srp_row("S2")], header))
    run(env)
    error = only_error(con)
    assert (error["rule"], error["column_name"]) == ("missing_required_column",
                                                     "urn, top_up_gbp")
    assert error["message"] == (f"{SRP}: required column(s) urn, top_up_gbp missing from the"
                                " header row; the whole file was quarantined")
    [reg] = registry(con)
    assert (reg["status"], reg["rows_landed"], reg["rows_loaded"], reg["rows_rejected"]) == (
        "quarantined", 2, 0, 2)
    assert table_count(con, "srp_register") == 0


def test_bytes_neither_utf8_nor_cp1252(env):
    con, _, archive = env
    data = csv_bytes([srp_row("S\x01")], SRP_HEADER).replace(b"\x01", b"\x81")
    land(env, SRP, data)
    assert run(env).files_quarantined == 1
    error = only_error(con)
    assert error["rule"] == "encoding"
    assert error["message"] == (f"{SRP}: byte 0x81 on line 2 is neither UTF-8 nor"
                                " Windows-1252, so the file cannot be read; export it again as"
                                " UTF-8 CSV")
    [reg] = registry(con)
    assert Path(reg["archived_path"]).read_bytes() == data  # nothing lost


def test_bom_crlf_case_spaces_order_and_extra_columns(env):
    con, _, _ = env
    header = ["  Top_Up_GBP", "URN ", " SRP_ID ", "Designation", "phase", "ACADEMIC_YEAR",
              "commissioned_places", "sla_start", "sla_end", "place_funding_gbp", "Notes"]
    row = {"  Top_Up_GBP": " 8500.50 ", "URN ": "118000", " SRP_ID ": "S1",
           "Designation": "asd", "phase": "Primary", "ACADEMIC_YEAR": "2024/25",
           "commissioned_places": "15", "sla_start": "", "sla_end": "",
           "place_funding_gbp": "10000", "Notes": "ignored"}
    land(env, SRP, csv_bytes([row], header, newline="\r\n", bom=True))
    summary = run(env)
    assert (summary.rows_loaded, summary.errors) == (1, 0)
    [loaded] = srp_rows(con)
    assert (loaded["srp_id"], loaded["urn"], loaded["top_up_gbp"], loaded["designation"]) == (
        "S1", "118000", "8500.50", "asd")  # trimmed, otherwise as landed
    assert loaded["sla_start"] is None and loaded["_academic_year"] == "2024/25"
    assert "notes" not in loaded and registry(con)[0]["encoding"] == "utf-8"


def test_cp1252_gias_with_extra_columns(env):
    con, _, _ = env
    data = csv_bytes([gias_row("118000", EstablishmentName="St Mary’s Café School")],
                     GIAS_HEADER, encoding="cp1252", newline="\r\n")
    land(env, GIAS, data)
    summary = run(env, ingest_gias)
    assert (summary.rows_loaded, summary.errors) == (1, 0)
    [school] = rows(con, "SELECT * FROM bronze.gias_establishment")
    assert school["establishment_name"] == "St Mary’s Café School"
    assert school["la_code"] == "886" and school["type_of_resourced_provision_name"] == \
        "Resourced provision"
    assert school["sen_unit_capacity"] is None and str(school["_file_date"]) == "2025-10-01"
    assert "street" not in school and registry(con)[0]["encoding"] == "cp1252"


def test_nul_bytes_are_unreadable(env):
    con, _, _ = env
    land(env, SRP, csv_bytes([srp_row("S1")], SRP_HEADER, encoding="utf-16"))
    run(env)
    error = only_error(con)
    assert error["rule"] == "unreadable" and "NUL bytes" in error["message"]


def test_duplicate_column_quarantines(env):
    con, _, _ = env
    header = SRP_HEADER + ["URN"]
    land(env, SRP, csv_bytes([srp_row("S1", URN="118001")], header))
    run(env)
    error = only_error(con)
    assert (error["rule"], error["column_name"]) == ("duplicate_column", "urn")
    assert error["message"] == (f"{SRP}: column urn appears 2 times in the header, so its"
                                " values are ambiguous; the file was not loaded")


def test_row_numbers_follow_excel(env):
    con, _, _ = env
    lines = [",".join(SRP_HEADER), "S1,118000,ASD,Primary,2024/25,15,,,10000,8500",
             "", '"S2\nsecond line",118000,ASD,Primary,2024/25,15,,,10000,8500',
             ",,,,,,,,,", "S3,118000,ASD,Primary,2024/25,-1,,,10000,8500"]
    land(env, SRP, "\n".join(lines).encode())
    summary = run(env)
    assert summary.rows_loaded == 2 and summary.rows_rejected == 1
    assert [r["_row_number"] for r in srp_rows(con)] == [2, 4]
    assert srp_rows(con)[1]["srp_id"] == "S2\nsecond line"
    error = only_error(con)
    assert (error["rule"], error["row_number"]) == ("negative_value", 6)
    assert registry(con)[0]["rows_landed"] == 3  # blank rows are not data rows


def test_srp_row_rules(env):
    con, _, _ = env
    cases = [
        srp_row("S01"),
        srp_row("S02", commissioned_places="-2"),
        srp_row("S03", designation="AUT"),
        srp_row("S04", academic_year="2025/26"),
        srp_row("S05", commissioned_places="fifteen"),
        srp_row("S06", top_up_gbp="£8,500"),
        srp_row("S07", urn=""),
        srp_row("S08", urn="11800"),
        srp_row("S09", sla_start="31/02/2024"),
        srp_row("S10", sla_end="2025/08/31"),
        srp_row("S01", designation="ASD"),
        srp_row("S01", designation="HI"),
        srp_row("S11", phase="Infant"),
        srp_row("S12", academic_year="2024/26"),
    ]
    land(env, SRP, csv_bytes(cases, SRP_HEADER))
    summary = run(env)
    got = [(e["row_number"], e["rule"], e["column_name"], e["value"], e["message"])
           for e in load_errors(con)]
    f = SRP
    assert got == [
        (3, "negative_value", "commissioned_places", "-2",
         f"{f} row 3, column commissioned_places: '-2' is negative (must be 0 or more)"),
        (4, "unknown_code", "designation", "AUT",
         f"{f} row 4, column designation: 'AUT' is not one of the allowed codes: SPLD, MLD, SLD,"
         " PMLD, SEMH, SLCN, HI, VI, MSI, PD, ASD, DS, OTH"),
        (5, "academic_year_mismatch", "academic_year", "2025/26",
         f"{f} row 5, column academic_year: '2025/26' does not match the academic year 2024/25"
         " in the file name"),
        (6, "not_an_integer", "commissioned_places", "fifteen",
         f"{f} row 6, column commissioned_places: 'fifteen' is not a whole number"),
        (7, "not_a_number", "top_up_gbp", "£8,500",
         f"{f} row 7, column top_up_gbp: '£8,500' is not a number"),
        (8, "required", "urn", None,
         f"{f} row 8, column urn: the value is blank but required"),
        (9, "invalid_urn", "urn", "11800",
         f"{f} row 9, column urn: '11800' is not a URN (6 digits)"),
        (10, "invalid_date", "sla_start", "31/02/2024",
         f"{f} row 10, column sla_start: '31/02/2024' is not a real date (expected dd/mm/yyyy);"
         " loaded as blank, the row was kept"),
        (11, "invalid_date", "sla_end", "2025/08/31",
         f"{f} row 11, column sla_end: '2025/08/31' is not a date (expected dd/mm/yyyy);"
         " loaded as blank, the row was kept"),
        (12, "duplicate_key", "srp_id, designation, academic_year", "S01, ASD, 2024/25",
         f"{f} row 12, column srp_id, designation, academic_year: key 'S01, ASD, 2024/25'"
         " already appears on row 2; only the first row with a key is used"),
        (14, "unknown_code", "phase", "Infant",
         f"{f} row 14, column phase: 'Infant' is not one of the allowed codes: Primary,"
         " Secondary, All-through, Post-16"),
        (15, "invalid_academic_year", "academic_year", "2024/26",
         f"{f} row 15, column academic_year: '2024/26' is not an academic year like 2024/25"),
    ]
    assert [(r["srp_id"], r["sla_start"], r["sla_end"]) for r in srp_rows(con)] == [
        ("S01", "01/09/2024", "31/08/2025"), ("S09", None, "31/08/2025"),
        ("S10", "01/09/2024", None), ("S01", "01/09/2024", "31/08/2025")]
    assert (summary.rows_loaded, summary.rows_rejected, summary.errors, summary.warnings) == (
        4, 10, 10, 2)


def test_bad_file_name_is_quarantined(env):
    con, _, _ = env
    land(env, "srp_register/srp_register_2024-26.csv", csv_bytes([srp_row("S1")], SRP_HEADER))
    run(env)
    [error] = load_errors(con)
    assert error["rule"] == "bad_file_name" and error["message"] == (
        "srp_register/srp_register_2024-26.csv: an SRP register must be named"
        " srp_register_<YYYY-YY>.csv (e.g. srp_register_2024-25.csv); the file was not loaded")
    assert registry(con)[0]["archived_path"]


def test_new_version_supersedes_and_rerun_is_idempotent(env):
    con, _, _ = env
    land(env, SRP, csv_bytes([srp_row("S1"), srp_row("S2")], SRP_HEADER))
    run(env)
    first_sha = registry(con)[0]["sha256"]
    assert run(env).files_unchanged == 1 and table_count(con, "srp_register") == 2
    land(env, SRP, csv_bytes([srp_row("S1", commissioned_places="20")], SRP_HEADER))
    summary = run(env)
    assert summary.files_loaded == 1 and summary.rows_loaded == 1
    current = rows(con, "SELECT srp_id, commissioned_places FROM bronze.srp_register"
                        " WHERE _superseded_by_sha256 IS NULL")
    assert current == [{"srp_id": "S1", "commissioned_places": "20"}]
    new_sha = registry(con)[1]["sha256"]
    assert table_count(con, "srp_register",
                       f"_sha256 = '{first_sha}' AND _superseded_by_sha256 = '{new_sha}'") == 2
    old, new = registry(con)
    assert old["superseded_by_sha256"] == new_sha and new["superseded_by_sha256"] is None


def test_same_bytes_under_another_name_is_duplicate(env):
    con, _, _ = env
    data = csv_bytes([gias_row("118000")], GIAS_HEADER, encoding="cp1252")
    land(env, GIAS, data)
    land(env, "gias/edubase_20251002.csv", data)
    summary = run(env, ingest_gias)
    assert (summary.files_loaded, summary.files_duplicate) == (1, 1)
    dup = registry(con, "gias/edubase_20251002.csv")[0]
    assert dup["status"] == "duplicate" and dup["reason"] == (
        f"same bytes as {GIAS} (registered as loaded); not loaded again")
    assert table_count(con, "gias_establishment") == 1
    summary = run(env, ingest_gias)
    assert (summary.files_unchanged, summary.rows_loaded) == (2, 0)


def test_gias_rules(env):
    con, _, _ = env
    data = csv_bytes([
        gias_row("118000", ResourcedProvisionCapacity="", ResourcedProvisionOnRoll="",
                 Easting="", **{"DistrictAdministrative (name)": ""}),
        gias_row("118001", **{"TypeOfResourcedProvision (name)": "Unit"}),
        gias_row("118002", StatutoryLowAge="four"),
        gias_row("118003", **{"EstablishmentName": ""}),
    ], GIAS_HEADER, encoding="cp1252")
    land(env, GIAS, data)
    run(env, ingest_gias)
    got = [(e["row_number"], e["rule"], e["column_name"], e["severity"])
           for e in load_errors(con)]
    assert got == [(3, "unknown_code", "TypeOfResourcedProvision (name)", "warning"),
                   (4, "not_an_integer", "StatutoryLowAge", "warning"),
                   (5, "required", "EstablishmentName", "error")]
    assert rows(con, "SELECT urn, type_of_resourced_provision_name t, statutory_low_age a"
                     " FROM bronze.gias_establishment ORDER BY urn") == [
        {"urn": "118000", "t": "Resourced provision", "a": "4"},
        {"urn": "118001", "t": None, "a": "4"},
        {"urn": "118002", "t": "Resourced provision", "a": None}]


def test_gias_bad_file_name(env):
    con, _, _ = env
    land(env, "gias/edubase_20251341.csv", csv_bytes([gias_row("118000")], GIAS_HEADER))
    run(env, ingest_gias)
    assert only_error(con, "gias/edubase_20251341.csv")["rule"] == "bad_file_name"


DFE_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code",
              "old_la_code", "la_name", "no_exc_20week_rate", "new_measure_2026"]


def test_dfe_suppression_symbols_and_new_columns(env):
    con, _, _ = env
    data = csv_bytes([
        {"time_period": "2022", "time_identifier": "Calendar year",
         "geographic_level": "Local authority", "country_code": "E92000001",
         "old_la_code": "886", "la_name": "Kent", "no_exc_20week_rate": "z",
         "new_measure_2026": "c"},
        {"time_period": "2022", "time_identifier": "Calendar year",
         "geographic_level": "National", "country_code": "E92000001",
         "no_exc_20week_rate": "x", "new_measure_2026": "12"},
    ], DFE_HEADER)
    land(env, "dfe/sen2_mi.csv", data)
    summary = run(env, ingest_dfe)
    assert (summary.rows_loaded, summary.errors) == (2, 0)
    got = rows(con, "SELECT old_la_code, no_exc_20week_rate, new_measure_2026, assessments"
                    " FROM bronze.dfe_sen2_mi ORDER BY _row_number")
    assert got == [{"old_la_code": "886", "no_exc_20week_rate": "z", "new_measure_2026": "c",
                    "assessments": None},
                   {"old_la_code": None, "no_exc_20week_rate": "x", "new_measure_2026": "12",
                    "assessments": None}]


def test_dfe_missing_standard_column(env):
    con, _, _ = env
    land(env, "dfe/sen2_mi.csv", csv_bytes([{"time_identifier": "Calendar year",
                                             "geographic_level": "National"}]))
    run(env, ingest_dfe)
    error = only_error(con, "dfe/sen2_mi.csv")
    assert error["rule"] == "missing_required_column" and error["column_name"] == "time_period"


# DfE's real file, vendored in seeds/ (Open Government Licence v3.0, see NOTICE)
REAL_DFE = Path(__file__).resolve().parents[1] / "seeds" / "sen2_mi.csv"


def test_real_dfe_file_loads(env):
    con, _, _ = env
    data = REAL_DFE.read_bytes()
    land(env, "dfe/sen2_mi.csv", data)
    summary = run(env, ingest_dfe)
    assert summary.errors == 0 and summary.rows_loaded == data.count(b"\n") - 1
    kent = rows(con, "SELECT count(*) n FROM bronze.dfe_sen2_mi WHERE old_la_code = '886'")
    assert kent[0]["n"] > 0


def test_numbers_too_large_to_store_are_rejected_not_nulled(env):
    con, _, _ = env
    land(env, SRP, csv_bytes([
        srp_row("S01", commissioned_places="2147483647", top_up_gbp="9" * 22 + ".5"),
        srp_row("S02", top_up_gbp="9" * 400_000),
        srp_row("S03", commissioned_places="99999999999"),
        srp_row("S04", commissioned_places="2147483648"),
    ], SRP_HEADER))
    summary = run(env)
    got = [(e["row_number"], e["rule"], e["column_name"]) for e in load_errors(con)]
    assert got == [(3, "out_of_range", "top_up_gbp"), (4, "out_of_range", "commissioned_places"),
                   (5, "out_of_range", "commissioned_places")]
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 3)
    assert [r["srp_id"] for r in srp_rows(con)] == ["S01"]
