"""dbt's target folders for the platform's builds, and the parse state each build starts from.

dbt parses the whole project again (8-23 s) unless the saved parse state was made for the same
profile, and the profile names the warehouse's path: a build against another warehouse (a
test, the bench, a second data root) made the next build of the real one parse everything
again. So the state is kept per warehouse path (``target/parse_state/<hash>.msgpack``); a
warehouse without one starts from the project's own state (`make install`'s `dbt parse`).

Each build writes its own folder, ``send_dbt_models-<run>-<id>``, starting with that state
(dagster-dbt copies the project's state only into a folder that has none); the newest
``KEEP_INVOCATIONS`` are kept for debugging.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import uuid
from pathlib import Path

PARTIAL_PARSE = "partial_parse.msgpack"
INVOCATION_PREFIX = "send_dbt_models-"
KEEP_INVOCATIONS = 5  # build folders (~13 MB each at scale 1)
KEEP_PARSE_STATES = 10  # warehouses whose parse state is kept (~1 MB each)


def parse_state_file(target_dir: Path, warehouse_path: str | Path) -> Path:
    digest = hashlib.sha256(str(Path(warehouse_path).resolve()).encode()).hexdigest()[:16]
    return Path(target_dir) / "parse_state" / f"{digest}.msgpack"


def new_invocation_folder(target_dir: Path, warehouse_path: str | Path, run_id: str) -> Path:
    """A build's own target folder, holding the parse state to start from."""
    folder = Path(target_dir) / f"{INVOCATION_PREFIX}{run_id[:7]}-{uuid.uuid4().hex[:7]}"
    folder.mkdir(parents=True)
    saved = parse_state_file(target_dir, warehouse_path)
    start = saved if saved.is_file() else Path(target_dir) / PARTIAL_PARSE
    try:
        shutil.copyfile(start, folder / PARTIAL_PARSE)
    except FileNotFoundError:
        pass  # no state yet: dbt parses the whole project
    return folder


def keep_parse_state(target_dir: Path, invocation_folder: Path, warehouse_path: str | Path) -> None:
    """This build's parse state, for the next build against the same warehouse (replaced
    atomically: another build may be copying it)."""
    state = Path(invocation_folder) / PARTIAL_PARSE
    if not state.is_file():
        return
    destination = parse_state_file(target_dir, warehouse_path)
    destination.parent.mkdir(exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(state, temporary)
    os.replace(temporary, destination)
    _keep_newest(list(destination.parent.glob("*.msgpack")), KEEP_PARSE_STATES)


def prune_invocation_folders(target_dir: Path, keep: int = KEEP_INVOCATIONS) -> list[Path]:
    """Remove all but the newest ``keep`` build folders; returns those removed."""
    folders = [p for p in Path(target_dir).glob(f"{INVOCATION_PREFIX}*") if p.is_dir()]
    return _keep_newest(folders, keep)


def prune_in_background(target_dir: Path) -> threading.Thread:
    """``prune_invocation_folders`` on a thread, to run while dbt builds: deleting a build
    folder's ~700 files took 0.5-2.3 s, and a one-asset run from the UI waited for it."""
    thread = threading.Thread(target=prune_invocation_folders, args=(target_dir,),
                              name="prune-dbt-folders", daemon=True)
    thread.start()
    return thread


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another build's pruning
        return 0.0


def _keep_newest(paths: list[Path], keep: int) -> list[Path]:
    paths = sorted(paths, key=_modified, reverse=True)
    for path in paths[keep:]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return paths[keep:]
