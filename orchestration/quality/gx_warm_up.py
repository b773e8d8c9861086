"""Importing Great Expectations while dbt builds, so a run's GX checks do not wait for it.

`import great_expectations` takes 4-7 s on these machines, and the first GX check step of a
run paid it after dbt had finished. The run worker starts the import on a background thread
when the dbt step starts, if the run will validate a GX suite: dbt is a subprocess, so the
import uses the other core while dbt builds. The GX step's own import then finds the module
loaded, or waits on Python's import lock for the warm-up to finish it; it never imports twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

GX_CHECK_PREFIX = "gx_"  # every GX suite's asset check is named gx_<suite>

_started = threading.Event()


def runs_gx_checks(check_names: Iterable[str] | None) -> bool:
    """Whether a run whose asset-check selection is ``check_names`` validates a GX suite.
    ``None`` is Dagster's "every check of the selected assets"."""
    if check_names is None:
        return True
    return any(name.startswith(GX_CHECK_PREFIX) for name in check_names)


def _import_gx() -> None:
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401  (the frames GX validates)


def start_warm_up(check_names: Iterable[str] | None) -> threading.Thread | None:
    """Starts importing GX in the background (once per process) if the run needs it; returns
    the thread, or None when there is nothing to do."""
    if not runs_gx_checks(check_names) or _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_import_gx, name="gx-warm-up", daemon=True)
    thread.start()
    return thread
