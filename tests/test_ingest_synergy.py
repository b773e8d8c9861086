"""Synergy nightly extracts: row rules, foreign keys, extract completeness and change capture.

Cases (part of the bad-input corpus, see also test_ingest_csv_sources.py, test_ingest_returns.py):

S1  valid extract loads every row; registry balanced; extract row 'loaded'
S2  impossible date (31/02/2024) -> invalid_date, exact message, row absent, others load
S3  future date (received after the extract date) -> future_date; a bad optional date is
    blanked (warning, row kept)
S4  invalid UPN check letter -> invalid_upn warning; the UPN is blanked, the person row kept;
    value in load_errors only, message withholds it, personal flag
S5  orphan foreign key (request for an unknown person) -> orphan_foreign_key
S6  rejected parent makes its children orphans (person -> request -> assessment chain), each
    error naming the parent row and its rule (more in test_faults_cascade.py)
S7  placement with none / two of urn, ukprn, sen_setting -> placement_establishment
S8  invalid optional Y/N flag -> invalid_flag warning, blanked; unknown required code ->
    unknown_code, row rejected
S9  duplicate key -> every repeat after the first rejected (duplicate_key)
S10 truncated last line -> wrong_field_count, earlier rows load
S11 missing optional column -> warning, rows kept with NULL
S12 no _SUCCESS -> waiting (nothing archived/loaded), loads once the marker appears
S13 extract missing a file -> rejected whole, message names the missing files
S14 out-of-order extract -> rejected (archived and registered, not loaded)
S15 a quarantined file (missing required column) rejects the whole extract; state unchanged
S16 idempotency: second run adds nothing (files unchanged)
S17 unchanged second night -> no new rows (storage growth 0)
S18 changed row on night 2 -> old version closed (_valid_to), new one open; as-of queries
S19 row gone / rejected on night 2 -> its open version is closed
S20 re-delivered latest extract (changed bytes, same path) -> that night is replaced
S21 a crash in the middle of an extract rolls it back whole and is retried next run
S22 archive is content-addressed; a cleared landing area loses nothing (restore_landing)
S23 a stray file added to an already loaded extract folder is rejected alone
"""

from __future__ import annotations

import json
import shutil

import pytest

from ingest_corpus.builders import (
    assert_registry_balanced, connect, csv_bytes, load_errors, person, registry, rows,
    synergy_tables, table_count, upn, write_extract,
)
from orchestration import contract
from orchestration.ingest import IngestFailed, ingest_synergy, restore_landing
from orchestration.ingest.files import sha256_of

D1, D2, D3 = "2025-10-01", "2025-10-02", "2025-10-03"


@pytest.fixture
def env(tmp_path):
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    return connect(), landing, archive


def run(env):
    con, landing, archive = env
    summary = ingest_synergy(con, landing, archive)
    assert_registry_balanced(con)
    return summary


def errors_for(con, file_name, date=D1):
    return load_errors(con, f"synergy/{date}/{file_name}")


def state(con, table, date):
    return rows(con, f"SELECT * FROM bronze.{table} WHERE _valid_from <= ?"
                     " AND (_valid_to IS NULL OR _valid_to > ?) ORDER BY 1", [date, date])


def test_valid_extract_loads(env):
    con, landing, _ = env
    write_extract(landing, D1)
    summary = run(env)
    assert (summary.files_loaded, summary.rows_loaded, summary.errors) == (7, 13, 0)
    assert table_count(con, "synergy_person") == 2
    extract = rows(con, "SELECT * FROM bronze.synergy_extracts")[0]
    assert extract["status"] == "loaded" and extract["rows_inserted"] == 13
    assert json.loads(extract["file_counts"])["sen_need.csv"]["loaded"] == 3
    person_row = rows(con, "SELECT * FROM bronze.synergy_person WHERE person_id = '1'")[0]
    assert person_row["_source_file"] == f"synergy/{D1}/person.csv"
    assert person_row["_row_number"] == 2 and str(person_row["_extract_date"]) == D1
    assert person_row["_valid_to"] is None and len(person_row["_row_hash"]) == 64
    assert all(isinstance(v, (int, str)) for v in summary.as_metadata().values())


def test_impossible_date_is_a_row_error(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["placement.csv"][1]["entry_date"] = "31/02/2024"
    write_extract(landing, D1, tables)
    summary = run(env)
    [error] = errors_for(con, "placement.csv")
    assert error["message"] == (f"synergy/{D1}/placement.csv row 3, column entry_date:"
                                " '31/02/2024' is not a real date (expected dd/mm/yyyy)")
    assert (error["rule"], error["row_number"], error["column_name"], error["value"],
            error["severity"]) == ("invalid_date", 3, "entry_date", "31/02/2024", "error")
    assert json.loads(error["raw_record"])["placement_id"] == "6000"
    assert summary.rows_rejected == 1
    assert [r["placement_id"] for r in state(con, "synergy_placement", D1)] == ["5000"]
    [reg] = registry(con, f"synergy/{D1}/placement.csv")
    assert (reg["rows_landed"], reg["rows_loaded"], reg["rows_rejected"]) == (2, 1, 1)


def test_not_a_date_and_future_date(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["request.csv"][0]["received_date"] = "02/10/2025"  # the day after the extract
    tables["request.csv"][1]["request_outcome_date"] = "March 2024"
    write_extract(landing, D1, tables)
    run(env)
    future, not_date = errors_for(con, "request.csv")
    assert future["rule"] == "future_date" and future["row_number"] == 2
    assert future["message"] == (f"synergy/{D1}/request.csv row 2, column received_date:"
                                 " '02/10/2025' is in the future: after the extract date"
                                 " 01/10/2025")
    assert not_date["rule"] == "invalid_date" and not_date["message"].endswith(
        "'March 2024' is not a date (expected dd/mm/yyyy); loaded as blank, the row was kept")
    assert (future["severity"], not_date["severity"]) == ("error", "warning")
    assert rows(con, "SELECT request_id, request_outcome_date FROM bronze.synergy_request") == [
        {"request_id": "20", "request_outcome_date": None}]


def test_invalid_upn_is_blanked_and_kept_out_of_the_message(env):
    con, landing, _ = env
    tables = synergy_tables()
    good = upn(1)
    wrong_letter = ("B" if good[0] != "B" else "C") + good[1:]
    tables["person.csv"][0]["upn"] = wrong_letter
    write_extract(landing, D1, tables)
    summary = run(env)
    [error] = errors_for(con, "person.csv")
    assert (error["rule"], error["row_number"], error["column_name"], error["severity"]) == (
        "invalid_upn", 2, "upn", "warning")
    assert error["value"] == wrong_letter and error["personal"] is True
    assert wrong_letter not in error["message"]
    assert error["message"] == (f"synergy/{D1}/person.csv row 2, column upn: the value is not a"
                                " valid UPN (the check letter is wrong); loaded as blank, the"
                                " row was kept")
    assert json.loads(error["raw_record"])["upn"] == wrong_letter  # as landed, in bronze
    assert rows(con, "SELECT person_id, upn FROM bronze.synergy_person ORDER BY 1") == [
        {"person_id": "1", "upn": None}, {"person_id": "2", "upn": upn(2)}]
    assert (summary.rows_rejected, summary.errors, summary.warnings) == (0, 0, 1)


def test_orphan_and_rejected_parent_cascade(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["person.csv"][0]["sex"] = "X"  # person 1 rejected -> request 10 -> assessment 100
    tables["request.csv"].append({"request_id": "30", "person_id": "99",
                                  "received_date": "01/01/2024"})
    write_extract(landing, D1, tables)
    run(env)
    [sex] = errors_for(con, "person.csv")
    assert sex["rule"] == "unknown_code" and sex["message"].endswith(
        "'X' is not one of the allowed codes: M, F, U")
    orphans = errors_for(con, "request.csv")
    assert [(e["rule"], e["row_number"], e["value"]) for e in orphans] == [
        ("orphan_foreign_key", 2, "1"), ("orphan_foreign_key", 4, "99")]
    assert orphans[0]["message"] == (
        f"synergy/{D1}/request.csv row 2, column person_id: '1' refers to a row that was not"
        " loaded: person row 2 of person.csv was rejected (rule unknown_code on sex), so this"
        " row was rejected with it")
    assert orphans[1]["message"] == (f"synergy/{D1}/request.csv row 4, column person_id: '99'"
                                     " does not match any person_id loaded from person.csv in"
                                     " the same extract")
    [assessment] = errors_for(con, "assessment.csv")
    assert assessment["rule"] == "orphan_foreign_key" and assessment["value"] == "10"
    assert "request row 2 of request.csv was rejected (rule orphan_foreign_key on person_id)" \
        in assessment["message"]
    # plan 1000 belongs to the rejected person: it and its needs and placement go too
    assert table_count(con, "synergy_named_plan") == 1
    assert table_count(con, "synergy_sen_need") == 1
    assert table_count(con, "synergy_request") == 1


def test_placement_needs_exactly_one_establishment(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["placement.csv"][0]["sen_setting"] = "OLA"  # urn and sen_setting
    tables["placement.csv"][1]["sen_setting"] = ""  # none
    write_extract(landing, D1, tables)
    run(env)
    two, none = errors_for(con, "placement.csv")
    assert two["rule"] == none["rule"] == "placement_establishment"
    assert two["message"] == (f"synergy/{D1}/placement.csv row 2: exactly one of urn, ukprn,"
                              " sen_setting must be filled (found urn and sen_setting)")
    assert none["message"].endswith("(found none)") and none["row_number"] == 3
    assert table_count(con, "synergy_placement") == 0


def test_invalid_flag_and_code(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["request.csv"][0]["rya"] = "yes"  # accepted spelling, stored as landed
    tables["request.csv"][1]["rya"] = "maybe"  # optional: blanked, the request kept
    tables["sen_need.csv"][2]["sen_type"] = "autism"  # required: the need rejected
    write_extract(landing, D1, tables)
    run(env)
    [flag] = errors_for(con, "request.csv")
    assert flag["rule"] == "invalid_flag" and flag["message"] == (
        f"synergy/{D1}/request.csv row 3, column rya: 'maybe' is not a Y/N flag"
        " (expected Y, N, Yes, No, 1, 0, true or false); loaded as blank, the row was kept")
    assert flag["severity"] == "warning" and flag["value"] == "maybe"
    [code] = errors_for(con, "sen_need.csv")
    assert (code["rule"], code["row_number"], code["column_name"], code["severity"]) == (
        "unknown_code", 4, "sen_type", "error")
    assert rows(con, "SELECT rya FROM bronze.synergy_request ORDER BY request_id") == [
        {"rya": "yes"}, {"rya": None}]
    assert table_count(con, "synergy_sen_need") == 2


def test_duplicate_key_rejects_every_repeat(env):
    con, landing, _ = env
    tables = synergy_tables()
    tables["person.csv"] += [person(2, surname="Again"), person(2, surname="Third")]
    write_extract(landing, D1, tables)
    run(env)
    dupes = errors_for(con, "person.csv")
    assert [(e["rule"], e["row_number"]) for e in dupes] == [("duplicate_key", 4),
                                                            ("duplicate_key", 5)]
    assert dupes[0]["message"] == (f"synergy/{D1}/person.csv row 4, column person_id: key '2'"
                                   " already appears on row 3; only the first row with a key is"
                                   " used")
    assert [r["surname"] for r in state(con, "synergy_person", D1)] == ["Smith1", "Smith2"]


def test_truncated_last_line(env):
    con, landing, _ = env
    data = csv_bytes(synergy_tables()["annual_review.csv"]
                     + [{"review_id": "7001", "plan_id": "1000",
                         "review_meeting_date": "01/04/2024"}])
    truncated = data[: data.rindex(b"01/04/2024") + len(b"01/04/2024")]  # cut after 3 fields
    write_extract(landing, D1, raw={"annual_review.csv": truncated})
    run(env)
    [error] = errors_for(con, "annual_review.csv")
    assert (error["rule"], error["row_number"]) == ("wrong_field_count", 3)
    assert error["message"] == (f"synergy/{D1}/annual_review.csv row 3: has 3 fields but the"
                                " header has 5 (a truncated or badly quoted row); the row was"
                                " not loaded")
    assert json.loads(error["raw_record"]) == {"review_id": "7001", "plan_id": "1000",
                                               "review_meeting_date": "01/04/2024"}
    assert table_count(con, "synergy_annual_review") == 1


def test_missing_optional_column_is_a_warning(env):
    con, landing, _ = env
    tables = synergy_tables()
    header = [c for c in contract.SYNERGY_PERSON.columns if c != "ethnicity"]
    write_extract(landing, D1, tables, raw={"person.csv": csv_bytes(tables["person.csv"],
                                                                    header)})
    summary = run(env)
    [warning] = errors_for(con, "person.csv")
    assert (warning["rule"], warning["severity"], warning["row_number"]) == (
        "missing_optional_column", "warning", None)
    assert summary.warnings == 1 and summary.rows_rejected == 0
    assert {r["ethnicity"] for r in state(con, "synergy_person", D1)} == {None}


def test_waiting_until_success_marker(env):
    con, landing, archive = env
    folder = write_extract(landing, D1, success=False)
    summary = run(env)
    assert (summary.files_waiting, summary.files_loaded) == (7, 0)
    assert {r["status"] for r in registry(con)} == {"waiting"}
    assert rows(con, "SELECT status FROM bronze.synergy_extracts") == [{"status": "waiting"}]
    assert table_count(con, "synergy_person") == 0 and not archive.exists()
    run(env)  # still waiting: no duplicate registry rows
    assert len(registry(con)) == 7
    (folder / "_SUCCESS").write_bytes(b"")
    summary = run(env)
    assert summary.files_loaded == 7 and table_count(con, "synergy_person") == 2
    assert {r["status"] for r in registry(con)} == {"loaded"} and len(registry(con)) == 7
    assert rows(con, "SELECT status FROM bronze.synergy_extracts") == [{"status": "loaded"}]


def test_extract_missing_a_file_is_rejected_whole(env):
    con, landing, archive = env
    write_extract(landing, D1, skip=("sen_need.csv", "annual_review.csv"))
    summary = run(env)
    assert (summary.files_rejected, summary.files_loaded, summary.rows_loaded) == (5, 0, 0)
    [error] = load_errors(con, f"synergy/{D1}")
    assert error["rule"] == "incomplete_extract"
    assert error["message"] == (f"synergy/{D1}: extract is missing sen_need.csv,"
                                " annual_review.csv; the whole extract was rejected (nothing"
                                " loaded)")
    assert table_count(con, "synergy_person") == 0
    assert rows(con, "SELECT status FROM bronze.synergy_extracts") == [{"status": "rejected"}]
    person_reg = registry(con, f"synergy/{D1}/person.csv")[0]
    assert person_reg["status"] == "rejected" and person_reg["rows_rejected"] == 2
    assert (archive / person_reg["sha256"][:2] / person_reg["sha256"]).exists()
    assert run(env).files_unchanged == 5  # nothing re-recorded
    assert len(load_errors(con)) == 1
    write_extract(landing, D1)  # the missing files arrive
    summary = run(env)
    assert summary.files_loaded == 7 and table_count(con, "synergy_sen_need") == 3
    assert load_errors(con) == []


def test_out_of_order_extract_is_rejected(env):
    con, landing, archive = env
    write_extract(landing, D2)
    run(env)
    write_extract(landing, D1)
    summary = run(env)
    assert summary.files_rejected == 7 and summary.files_unchanged == 7
    [error] = load_errors(con, f"synergy/{D1}")
    assert error["rule"] == "out_of_order_extract"
    assert error["message"] == (f"synergy/{D1}: extract is older than the latest loaded"
                                f" extract {D2}; extracts load in date order, so this one was"
                                " archived but not loaded")
    assert rows(con, "SELECT extract_date::VARCHAR d, status FROM bronze.synergy_extracts"
                     " ORDER BY 1") == [{"d": D1, "status": "rejected"},
                                        {"d": D2, "status": "loaded"}]
    assert all(r["archived_path"] for r in registry(con))
    assert table_count(con, "synergy_person", f"_valid_from = '{D1}'") == 0


def test_quarantined_file_rejects_the_extract(env):
    con, landing, _ = env
    write_extract(landing, D1)
    run(env)
    tables = synergy_tables()
    tables["person.csv"][0]["postcode"] = "CT1 1AA"
    header = [c for c in contract.SYNERGY_PERSON.columns if c != "sex"]
    write_extract(landing, D2, tables,
                  raw={"person.csv": csv_bytes(tables["person.csv"], header)})
    summary = run(env)
    assert (summary.files_quarantined, summary.files_rejected) == (1, 6)
    [error] = load_errors(con, f"synergy/{D2}/person.csv")
    assert error["rule"] == "missing_required_column" and error["column_name"] == "sex"
    assert error["message"] == (f"synergy/{D2}/person.csv: required column(s) sex missing from"
                                " the header row; the whole file was quarantined")
    [reg] = registry(con, f"synergy/{D2}/person.csv")
    assert (reg["status"], reg["rows_landed"], reg["rows_rejected"]) == ("quarantined", 2, 2)
    assert registry(con, f"synergy/{D2}/request.csv")[0]["reason"].startswith(
        f"synergy/{D2}: extract rejected because person.csv was quarantined")
    assert table_count(con, "synergy_person", "_valid_to IS NOT NULL") == 0


def test_second_run_adds_nothing(env):
    con, landing, _ = env
    write_extract(landing, D1)
    run(env)
    before = rows(con, "SELECT count(*) n FROM bronze.synergy_person")
    summary = run(env)
    assert (summary.files_unchanged, summary.files_loaded, summary.rows_inserted) == (7, 0, 0)
    assert rows(con, "SELECT count(*) n FROM bronze.synergy_person") == before
    assert len(registry(con)) == 7


def test_unchanged_night_stores_nothing(env):
    con, landing, _ = env
    write_extract(landing, D1)
    write_extract(landing, D2)
    summary = run(env)
    assert summary.files_loaded == 14 and summary.rows_inserted == 13
    total = sum(table_count(con, s.name) for s in contract.SYNERGY_FILES)
    assert total == 13
    night2 = rows(con, f"SELECT * FROM bronze.synergy_extracts WHERE extract_date = '{D2}'")[0]
    assert (night2["rows_loaded"], night2["rows_inserted"], night2["rows_closed"]) == (13, 0, 0)
    assert len(state(con, "synergy_person", D2)) == 2


def test_changed_row_closes_old_version(env):
    con, landing, _ = env
    write_extract(landing, D1)
    tables = synergy_tables()
    tables["named_plan.csv"][0].update(cease_date="30/09/2025", cease_reason="2")
    write_extract(landing, D2, tables)
    write_extract(landing, D3, tables)
    run(env)
    versions = rows(con, "SELECT cease_reason, _valid_from::VARCHAR f, _valid_to::VARCHAR t,"
                         " _source_file FROM bronze.synergy_named_plan WHERE plan_id = '1000'"
                         " ORDER BY _valid_from")
    assert versions == [
        {"cease_reason": None, "f": D1, "t": D2, "_source_file": f"synergy/{D1}/named_plan.csv"},
        {"cease_reason": "2", "f": D2, "t": None, "_source_file": f"synergy/{D2}/named_plan.csv"},
    ]
    assert [r["cease_reason"] for r in state(con, "synergy_named_plan", D1)] == [None, None]
    assert [r["cease_reason"] for r in state(con, "synergy_named_plan", D3)] == ["2", None]


def test_gone_or_rejected_row_is_closed(env):
    con, landing, _ = env
    write_extract(landing, D1)
    tables = synergy_tables()
    del tables["annual_review.csv"][0]  # review gone
    tables["sen_need.csv"][1]["sen_type"] = "??"  # second need now rejected
    write_extract(landing, D2, tables)
    run(env)
    assert state(con, "synergy_annual_review", D2) == []
    assert len(state(con, "synergy_annual_review", D1)) == 1
    assert [r["sen_type"] for r in state(con, "synergy_sen_need", D2)] == ["ASD", "HI"]
    assert table_count(con, "synergy_sen_need", f"_valid_to = '{D2}'") == 1


def test_redelivered_latest_extract_replaces_that_night(env):
    con, landing, _ = env
    write_extract(landing, D1)
    tables = synergy_tables()
    tables["person.csv"][1]["postcode"] = "CT9 1AA"
    write_extract(landing, D2, tables)
    run(env)
    old_sha = sha256_of(landing / "synergy" / D2 / "person.csv")
    tables["person.csv"][1]["postcode"] = "CT9 2BB"  # corrected re-export of the same night
    write_extract(landing, D2, tables)
    summary = run(env)
    assert summary.files_loaded == 7 and summary.files_unchanged == 7
    versions = rows(con, "SELECT postcode, _valid_from::VARCHAR f, _valid_to::VARCHAR t FROM"
                         " bronze.synergy_person WHERE person_id = '2' ORDER BY _valid_from")
    assert versions == [{"postcode": "ME14 1XX", "f": D1, "t": D2},
                        {"postcode": "CT9 2BB", "f": D2, "t": None}]
    old = [r for r in registry(con, f"synergy/{D2}/person.csv") if r["sha256"] == old_sha][0]
    assert old["superseded_by_sha256"] is not None
    assert len(registry(con, f"synergy/{D2}/person.csv")) == 2


def test_crash_rolls_back_the_whole_extract(env, monkeypatch):
    con, landing, _ = env
    write_extract(landing, D1)
    from orchestration.ingest import synergy

    real = synergy._apply_changes
    calls = []

    def crash_on_fourth(*args):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(synergy, "_apply_changes", crash_on_fourth)
    with pytest.raises(IngestFailed):
        ingest_synergy(con, landing, env[2])
    assert table_count(con, "synergy_person") == 0 and registry(con) == []
    monkeypatch.setattr(synergy, "_apply_changes", real)
    assert run(env).files_loaded == 7


def test_archive_keeps_everything(env, tmp_path):
    con, landing, archive = env
    write_extract(landing, D1)
    run(env)
    for reg in registry(con):
        archived = archive / reg["sha256"][:2] / reg["sha256"]
        assert reg["archived_path"] == str(archived)
        assert sha256_of(archived) == reg["sha256"]
    shutil.rmtree(landing / "synergy")
    assert run(env).files_seen == 0 and table_count(con, "synergy_person") == 2
    restored = tmp_path / "restored"
    assert restore_landing(con, archive, restored) == 7
    fresh = connect()
    ingest_synergy(fresh, restored, tmp_path / "archive2")
    assert rows(fresh, "SELECT * EXCLUDE (_loaded_at) FROM bronze.synergy_person ORDER BY 1") \
        == rows(con, "SELECT * EXCLUDE (_loaded_at) FROM bronze.synergy_person ORDER BY 1")


def test_file_added_to_a_loaded_extract_later(env):
    con, landing, _ = env
    write_extract(landing, D1)
    write_extract(landing, D2)
    run(env)
    (landing / "synergy" / D1 / "notes.txt").write_text("exported by hand")
    summary = run(env)
    assert (summary.files_rejected, summary.files_unchanged, summary.files_loaded) == (1, 14, 0)
    [stray] = registry(con, f"synergy/{D1}/notes.txt")
    assert stray["status"] == "rejected" and stray["reason"] == (
        f"synergy/{D1}/notes.txt is not one of the seven Synergy extract files; archived,"
        " not loaded")
    assert {r["status"] for r in registry(con) if r["source_file"].endswith(".csv")} == {
        "loaded"}
    assert load_errors(con) == []
