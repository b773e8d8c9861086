"""dbt's parse state is kept per warehouse (orchestration/dbt_target.py): a build against
another warehouse (a test, the bench) no longer makes the next build of the real one parse the
whole project again."""

from __future__ import annotations

import os

from orchestration.dbt_target import (
    PARTIAL_PARSE,
    keep_parse_state,
    new_invocation_folder,
    parse_state_file,
    prune_in_background,
    _keep_newest,  # where the race between two builds' pruning is handled
    prune_invocation_folders,
)


def build(target, warehouse, state: bytes, run_id="run00001"):
    """A build against ``warehouse``: its folder as prepared, then dbt's new state kept."""
    folder = new_invocation_folder(target, warehouse, run_id)
    started_from = (folder / PARTIAL_PARSE).read_bytes() if (folder / PARTIAL_PARSE).exists() else None
    (folder / PARTIAL_PARSE).write_bytes(state)
    keep_parse_state(target, folder, warehouse)
    return started_from


def test_each_warehouse_starts_from_its_own_last_parse_state(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    real, other = tmp_path / "data" / "warehouse.duckdb", tmp_path / "test" / "warehouse.duckdb"
    (target / PARTIAL_PARSE).write_bytes(b"from make install")

    assert build(target, real, b"real 1") == b"from make install"  # no state of its own yet
    assert build(target, other, b"other 1") == b"from make install"
    assert build(target, real, b"real 2") == b"real 1"  # not the other warehouse's
    assert build(target, other, b"other 2") == b"other 1"
    assert (target / PARTIAL_PARSE).read_bytes() == b"from make install"  # left as installed
    assert parse_state_file(target, real) != parse_state_file(target, other)


def test_no_state_at_all_lets_dbt_parse_everything(tmp_path):
    folder = new_invocation_folder(tmp_path, tmp_path / "w.duckdb", "run00001")
    assert folder.name.startswith("send_dbt_models-run0000") and list(folder.iterdir()) == []


def test_a_failed_build_without_state_keeps_the_last_one(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    build(tmp_path, warehouse, b"good")
    folder = new_invocation_folder(tmp_path, warehouse, "run00002")
    (folder / PARTIAL_PARSE).unlink()
    keep_parse_state(tmp_path, folder, warehouse)
    assert parse_state_file(tmp_path, warehouse).read_bytes() == b"good"


def test_only_the_newest_build_folders_are_kept(tmp_path):
    folders = [new_invocation_folder(tmp_path, tmp_path / "w.duckdb", f"run{n:05d}") for n in range(7)]
    for age, folder in enumerate(reversed(folders)):
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    removed = prune_invocation_folders(tmp_path, keep=5)
    assert sorted(removed) == sorted(folders[:2])
    assert sorted(p for p in tmp_path.glob("send_dbt_models-*")) == sorted(folders[2:])


def test_pruning_runs_beside_the_build_and_keeps_the_newest(tmp_path):
    folders = [new_invocation_folder(tmp_path, tmp_path / "w.duckdb", f"run{n:05d}") for n in range(8)]
    for age, folder in enumerate(reversed(folders)):
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    pruning = prune_in_background(tmp_path)
    pruning.join(timeout=60)
    assert not pruning.is_alive()
    assert sorted(tmp_path.glob("send_dbt_models-*")) == sorted(folders[3:])  # KEEP_INVOCATIONS


def test_a_folder_removed_meanwhile_by_another_build_is_not_an_error(tmp_path):
    """Two builds prune at once: a folder listed by one and removed by the other before its
    age is read sorts as the oldest, and removing it again is harmless."""
    kept = new_invocation_folder(tmp_path, tmp_path / "w.duckdb", "run00001")
    gone = tmp_path / "send_dbt_models-gone"
    assert _keep_newest([gone, kept], keep=1) == [gone]
    assert kept.is_dir()
