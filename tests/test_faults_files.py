"""Unattended nights, the landing folder's side (issue 12 items 3, 8, 10 and 11, and one file's
bug never stopping the night). Each case builds its own landing folder and warehouse.

F3a a quarantined copy (``srp_register_2024-25 (1).csv``, same bytes, sorts first) never
    shadows the real file: the real one loads
F3b a registry written before that rule (the real file recorded as a duplicate of the
    quarantined copy) heals on the next run: the real file loads
F3c removing the bad copy and landing the right file works; a copy of a LOADED file is still
    a duplicate and adds nothing
F8a a link to a file outside the landing folder is never read nor archived: registered as
    rejected with the reason, and listed as unusable
F8b a named pipe is never opened (the run does not hang), a linked folder of returns is never
    entered
F8c a file swapped for a link after it was listed is refused when opened
F8d the unusable-files check names the linked file through Dagster (a warning, run succeeds)
F9  one file's unexpected error (a bug) does not stop the others or fail the run; it is
    recorded with the exception class only, listed as unusable, and loads next run
F10 the platform's folders and files are owner-only (group-readable on request); the archive
    never copies a landed file's mode; published files take SEND_PUBLISHED_MODE
F11 the pseudonym key is checked before anything is ingested or archived
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest_corpus.builders import (
    SRP_HEADER, assert_registry_balanced, connect, csv_bytes, load_errors, registry, srp_row,
    table_count, write,
)
from orchestration.ingest import ingest_school_returns, ingest_srp_register
from orchestration.ingest.files import NotARegularFile, landed_file
from orchestration.ingest.runner import record_unread, unusable_files

REGISTER = "srp_register/srp_register_2024-25.csv"
COPY = "srp_register/srp_register_2024-25 (1).csv"


def register_bytes(*ids: str) -> bytes:
    return csv_bytes([srp_row(i) for i in ids], SRP_HEADER)


def archived_files(archive: Path) -> list[Path]:
    return [p for p in archive.rglob("*") if p.is_file()] if archive.exists() else []


@pytest.fixture
def env(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    return connect(), landing, tmp_path / "archive"


def ingest_and_record(env, ingest=ingest_srp_register, source="srp_register"):
    con, landing, archive = env
    summary = ingest(con, landing, archive)
    unread = record_unread(con, source, landing)
    assert_registry_balanced(con)
    return summary, unread


def statuses(con) -> dict[str, str]:
    return {r["source_file"]: r["status"] for r in registry(con)}


def test_a_quarantined_copy_never_shadows_the_real_file(env):
    con, landing, _ = env
    data = register_bytes("SRP001", "SRP002")
    write(landing / COPY, data)
    write(landing / REGISTER, data)
    ingest_and_record(env)
    assert statuses(con) == {COPY: "quarantined", REGISTER: "loaded"}
    assert table_count(con, "srp_register") == 2
    assert [e["rule"] for e in load_errors(con, COPY)] == ["bad_file_name"]
    [(name, why)] = unusable_files(con, landing)
    assert name == COPY and why.startswith(f"{COPY}: an SRP register must be named")


def test_a_registry_from_before_the_rule_heals_and_the_real_file_loads(env):
    con, landing, _ = env
    data = register_bytes("SRP001", "SRP002", "SRP003")
    write(landing / COPY, data)
    write(landing / REGISTER, data)
    ingest_and_record(env)
    # what the old rule left behind: the real file registered as a duplicate of the copy
    con.execute("DELETE FROM bronze.srp_register")
    con.execute("UPDATE bronze.file_registry SET status = 'duplicate', rows_landed = 0,"
                " rows_loaded = 0, rows_rejected = 0 WHERE source_file = ?", [REGISTER])
    (landing / COPY).unlink()
    ingest_and_record(env)
    assert statuses(con) == {COPY: "quarantined", REGISTER: "loaded"}
    assert table_count(con, "srp_register") == 3
    assert unusable_files(con, landing) == []  # the copy is gone from the landing folder


def test_a_copy_of_a_loaded_file_is_a_duplicate_and_adds_nothing(env):
    con, landing, _ = env
    data = register_bytes("SRP001")
    write(landing / REGISTER, data)
    ingest_and_record(env)
    write(landing / "srp_register/srp_register_2024-25 - Copy.csv", data)
    ingest_and_record(env)
    # the copy's name is not a register name either, but the same bytes loaded: duplicate
    assert statuses(con)["srp_register/srp_register_2024-25 - Copy.csv"] == "duplicate"
    assert table_count(con, "srp_register") == 1


def test_a_link_to_a_file_outside_the_landing_folder_is_never_read(env, tmp_path):
    con, landing, archive = env
    outside = write(tmp_path / "elsewhere" / "secret.csv", register_bytes("SRP009"))
    (landing / "srp_register").mkdir()
    os.symlink(outside, landing / REGISTER)
    summary, unread = ingest_and_record(env)
    assert (summary.files_seen, unread) == (0, 1)
    assert table_count(con, "srp_register") == 0
    assert archived_files(archive) == []
    [row] = registry(con)
    assert (row["source_file"], row["status"], row["sha256"]) == (REGISTER, "rejected", None)
    assert "symbolic link" in row["reason"] and "never followed" in row["reason"]
    [error] = load_errors(con)
    assert (error["rule"], error["source_file"]) == ("not_a_regular_file", REGISTER)
    # the row describes the folder as it is: replaced each run, gone once the link is
    ingest_and_record(env)
    assert len(registry(con)) == 1
    (landing / REGISTER).unlink()
    write(landing / REGISTER, register_bytes("SRP001"))
    ingest_and_record(env)
    assert statuses(con) == {REGISTER: "loaded"}
    assert [e["rule"] for e in load_errors(con)] == []


def test_a_named_pipe_is_never_opened_and_a_linked_folder_never_entered(env, tmp_path):
    con, landing, archive = env
    (landing / "srp_register").mkdir()
    os.mkfifo(landing / "srp_register" / "srp_register_2023-24.csv")
    outside = tmp_path / "elsewhere" / "2024-25"
    write(outside / "100001 School.xlsx", b"PK\x03\x04 not read")
    (landing / "school_returns").mkdir()
    os.symlink(outside, landing / "school_returns" / "2024-25", target_is_directory=True)
    done = threading.Event()

    def night():
        ingest_and_record(env)
        ingest_and_record(env, ingest_school_returns, "school_returns")
        done.set()

    worker = threading.Thread(target=night, daemon=True)
    worker.start()
    worker.join(60)
    assert done.is_set(), "reading the landing folder hung on a named pipe"
    rows = {r["source_file"]: (r["status"], r["reason"]) for r in registry(con)}
    assert set(rows) == {"srp_register/srp_register_2023-24.csv", "school_returns/2024-25"}
    assert "a named pipe" in rows["srp_register/srp_register_2023-24.csv"][1]
    assert "symbolic link" in rows["school_returns/2024-25"][1]
    assert table_count(con, "return_submissions") == 0
    assert archived_files(archive) == []


def test_a_file_swapped_for_a_link_after_listing_is_refused_when_opened(tmp_path):
    landing = tmp_path / "landing"
    target = write(tmp_path / "secret.csv", b"srp_id\n")
    path = landing / REGISTER
    path.parent.mkdir(parents=True)
    os.symlink(target, path)
    with pytest.raises(NotARegularFile, match="symbolic link"):
        landed_file(path, landing)


# --- through Dagster ---------------------------------------------------------------------------

def night(paths, *, raise_on_error=False):
    """The SRP register's ingestion, the load audit and the unusable-files check, as the
    nightly refresh runs them."""
    from orchestration.defs.ingest.assets import ingest_srp_register as ingest_asset
    from orchestration.defs.ingest.assets import landed_files_usable, load_audit
    from orchestration.dbt_project import DBT_PROJECT  # noqa: F401 - puts the venv's dbt on PATH
    from orchestration.resources import build_resources

    return dg.materialize([ingest_asset, load_audit, landed_files_usable],
                          resources=build_resources(paths), raise_on_error=raise_on_error)


def check_result(result, name="landed_files_usable"):
    [evaluation] = [e.asset_check_evaluation_data for e in result.all_events
                    if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
                    and e.asset_check_evaluation_data.check_name == name]
    return evaluation


@pytest.fixture
def paths(tmp_path, clean_platform_env):
    from orchestration.settings import Paths

    root = tmp_path / "data"
    clean_platform_env.setenv("SEND_DATA_ROOT", str(root))
    landing = root / "landing"
    landing.mkdir(parents=True)
    (landing / "SAMPLE_DATA.json").write_text("{}")  # sample data: the development key is fine
    return Paths.from_env()


def warehouse_rows(paths, sql):
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_unusable_files_check_warns_with_the_file_names_and_the_night_goes_on(
        paths, tmp_path):
    write(paths.landing / REGISTER, register_bytes("SRP001"))
    os.symlink(write(tmp_path / "outside.csv", register_bytes("SRP002")),
               paths.landing / "srp_register/srp_register_2023-24.csv")
    result = night(paths)
    assert result.success
    check = check_result(result)
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert check.metadata["files_unusable"].value == 1
    [listed] = check.metadata["why"].value
    assert listed.startswith("srp_register/srp_register_2023-24.csv: a symbolic link")
    # what the alert may carry: the count and the file's name, nothing else of the metadata
    from orchestration.alerts.messages import safe_counts

    carried = safe_counts({k: v.value for k, v in check.metadata.items()})
    assert carried == {"files_unusable": 1,
                       "unusable_files": "srp_register/srp_register_2023-24.csv"}
    assert warehouse_rows(paths, "select srp_id from bronze.srp_register") == [("SRP001",)]
    (paths.landing / "srp_register/srp_register_2023-24.csv").unlink()
    assert check_result(night(paths)).passed


def test_one_files_bug_does_not_stop_the_others_and_it_loads_next_run(paths, monkeypatch):
    from orchestration.ingest import runner

    write(paths.landing / REGISTER, register_bytes("SRP001"))
    write(paths.landing / "srp_register/srp_register_2023-24.csv",
          csv_bytes([srp_row("SRP100", academic_year="2023/24")], SRP_HEADER))
    parse = runner.parse_and_check

    def buggy(data, csv_source, ctx, *args, **kwargs):
        if ctx.source_file.endswith("2023-24.csv"):
            raise KeyError("a bug, with a value 'SRP100' that must not reach the registry")
        return parse(data, csv_source, ctx, *args, **kwargs)

    monkeypatch.setattr(runner, "parse_and_check", buggy)
    result = night(paths)
    assert result.success
    assert warehouse_rows(paths, "select srp_id from bronze.srp_register") == [("SRP001",)]
    [(status, reason)] = warehouse_rows(
        paths, "select status, reason from bronze.file_registry"
               " where source_file like '%2023-24.csv'")
    assert status == "rejected"
    assert "(KeyError)" in reason and "tried again on the next run" in reason
    assert "SRP100" not in reason
    assert not check_result(result).passed
    monkeypatch.setattr(runner, "parse_and_check", parse)
    result = night(paths)
    assert check_result(result).passed
    assert sorted(warehouse_rows(paths, "select srp_id from bronze.srp_register")) == [
        ("SRP001",), ("SRP100",)]
    assert warehouse_rows(paths, "select count(*) from bronze.file_registry"
                                 " where status = 'rejected'") == [(0,)]


@pytest.mark.parametrize("key", [None, "send-data-platform-DEVELOPMENT-KEY-for-sample-data-only"])
def test_the_pseudonym_key_is_checked_before_anything_is_ingested(paths, key, monkeypatch):
    (paths.landing / "SAMPLE_DATA.json").unlink()  # real data now
    if key:
        monkeypatch.setenv("SEND_PSEUDONYM_KEY", key)
    write(paths.landing / REGISTER, register_bytes("SRP001"))
    result = night(paths)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message
    assert "nothing was ingested" in message and "SEND_PSEUDONYM_KEY" in message
    assert archived_files(paths.archive) == []
    tables = warehouse_rows(paths, "select table_name from information_schema.tables"
                                   " where table_schema = 'bronze'") if paths.warehouse.exists() else []
    assert tables == []
    monkeypatch.setenv("SEND_PSEUDONYM_KEY", "a-council-secret-of-forty-characters-long!")
    assert night(paths).success
    assert warehouse_rows(paths, "select srp_id from bronze.srp_register") == [("SRP001",)]


# --- file modes --------------------------------------------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def restore_umask():
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.mark.parametrize("group, folder_mode, file_mode", [
    (None, 0o700, 0o600), ("read", 0o750, 0o640)])
def test_the_platforms_folders_and_files_are_owner_only_unless_the_group_may_read(
        paths, restore_umask, monkeypatch, group, folder_mode, file_mode):
    from orchestration.settings import secure_data_folders

    if group:
        monkeypatch.setenv("SEND_GROUP_ACCESS", group)
    monkeypatch.setenv("DAGSTER_HOME", str(paths.data_root / "dagster_home"))
    os.umask(0o022)
    for folder in (paths.archive, paths.outbox, paths.report):  # as an older version left them
        folder.mkdir(parents=True, mode=0o755)
    paths.warehouse.write_bytes(b"")
    paths.warehouse.chmod(0o644)
    landed = write(paths.landing / REGISTER, register_bytes("SRP001"))
    landed.chmod(0o666)
    secure_data_folders(paths)
    for folder in (paths.archive, paths.outbox, paths.report, paths.data_root / "dagster_home"):
        assert mode(folder) == folder_mode, folder
    assert mode(paths.warehouse) == file_mode
    con = connect()
    ingest_srp_register(con, paths.landing, paths.archive)
    [copy] = archived_files(paths.archive)
    assert mode(copy) == 0o600  # never the landed file's 0666
    assert mode(copy.parent) == folder_mode  # made under the platform's umask
    assert mode(landed) == 0o666  # the landing folder is not ours to change
    new = paths.outbox / "feedback.xlsx"
    new.write_bytes(b"")
    assert mode(new) == file_mode


@pytest.mark.parametrize("setting, file_mode, folder_mode", [
    (None, 0o440, 0o750), ("0400", 0o400, 0o700), ("0444", 0o444, 0o755)])
def test_published_files_take_the_documented_mode(
        tmp_path, monkeypatch, setting, file_mode, folder_mode):
    from orchestration.publish.publisher import publish

    if setting:
        monkeypatch.setenv("SEND_PUBLISHED_MODE", setting)
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema gold; create table gold.t as select 1 as n")
    published = tmp_path / "published"
    result = publish(warehouse, published, external_tables={})
    version = published / "versions" / result.version
    files = [p for p in version.rglob("*") if p.is_file()]
    assert files and {mode(p) for p in files} == {file_mode}
    assert {mode(p) for p in (version, version.parent, published)} == {folder_mode}


def test_a_published_mode_that_makes_no_sense_is_refused(monkeypatch):
    from orchestration.settings import FileModes

    for bad in ("0755", "rw-r-----", "0040"):
        monkeypatch.setenv("SEND_PUBLISHED_MODE", bad)
        with pytest.raises(ValueError, match="SEND_PUBLISHED_MODE"):
            FileModes.from_env()


def test_the_landing_sensor_survives_a_dangling_link(tmp_path):
    from orchestration.defs.schedules.nightly import landing_fingerprint

    landing = tmp_path / "landing"
    write(landing / REGISTER, register_bytes("SRP001"))
    before = landing_fingerprint(landing)
    os.symlink(tmp_path / "gone.csv", landing / "srp_register/srp_register_2023-24.csv")
    after = landing_fingerprint(landing)
    assert (before[1], after[1]) == (1, 2) and before[0] != after[0]


def test_file_names_that_are_not_utf8_are_loaded_under_an_escaped_name(env):
    from orchestration.defs.schedules.nightly import landing_fingerprint

    con, landing, archive = env
    returns = landing / "school_returns" / "2024-25"
    returns.mkdir(parents=True)
    (landing / "srp_register").mkdir()
    for folder, name, data in ((returns, b"Sandgate \xff.xlsx", b""),
                               (landing / "srp_register", b"srp_register_2024-25\xfe.csv",
                                register_bytes("SRP001"))):
        with open(os.fsencode(folder) + b"/" + name, "wb") as handle:
            handle.write(data)
    ingest_and_record(env)
    ingest_and_record(env, ingest_school_returns, "school_returns")
    assert statuses(con) == {"school_returns/2024-25/Sandgate \\xff.xlsx": "quarantined",
                             "srp_register/srp_register_2024-25\\xfe.csv": "quarantined"}
    assert len(archived_files(archive)) == 2  # nothing that arrived is lost
    assert [name for name, _ in unusable_files(con, landing)] == [
        "school_returns/2024-25/Sandgate \\xff.xlsx", "srp_register/srp_register_2024-25\\xfe.csv"]
    assert landing_fingerprint(landing)[1] == 2


def test_a_file_changed_between_hashing_and_archiving_is_not_archived(tmp_path):
    """The archive holds exactly the bytes the registry's hash names: a file rewritten after it
    was hashed (an upload still going on) is refused with a clear error and leaves no copy,
    and archiving it again once it has settled keeps its new bytes under their hash."""
    from orchestration.ingest.files import archive, archive_path_for

    landing, archive_dir = tmp_path / "landing", tmp_path / "archive"
    landing.mkdir()
    path = landing / "return.xml"
    path.write_bytes(b"<Message>first</Message>")
    hashed = landed_file(path, landing)
    path.write_bytes(b"<Message>second</Message>")
    with pytest.raises(OSError, match="changed while it was being archived"):
        archive(hashed, archive_dir)
    assert not [p for p in archive_dir.rglob("*") if p.is_file()]
    settled = archive(landed_file(path, landing), archive_dir)
    assert settled.archived == archive_path_for(archive_dir, settled.sha256)
    assert settled.archived.read_bytes() == b"<Message>second</Message>"


@pytest.mark.parametrize("fails_after", [0, 1])
def test_archiving_where_the_kernel_cannot_copy_falls_back_to_buffers(tmp_path, monkeypatch,
                                                                      fails_after):
    """A file system where copy_file_range refuses (at once, or after copying part): the
    copy goes on through buffers from where it stopped, and holds every byte."""
    from orchestration.ingest.files import archive

    landing = tmp_path / "landing"
    landing.mkdir()
    path = landing / "return.xml"
    path.write_bytes(bytes(range(256)) * 5000)
    real, calls = os.copy_file_range, []

    def copy_file_range(src, dst, count, *args):
        calls.append(count)
        if len(calls) > fails_after:
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst, 1000, *args)

    monkeypatch.setattr(os, "copy_file_range", copy_file_range)
    archived = archive(landed_file(path, landing), tmp_path / "archive")
    assert archived.archived.read_bytes() == path.read_bytes()
    assert len(calls) == fails_after + 1
