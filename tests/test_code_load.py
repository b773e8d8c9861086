"""Every run worker, the UI's code server and each sensor tick load the code location; modules
only some assets need are imported by those assets, so a one-asset run from the UI does not pay
for them (issue 15 item 10). Checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

# imported by the assets/checks that use them, never on code load
DEFERRED = (
    "great_expectations",  # GX checks (warmed up on a thread while dbt builds)
    "orchestration.disclosure.release",  # the disclosure release and its audit
    "scipy",
    "highspy",
    "pandas",  # ingestion, GX, the report
    "pyarrow",  # ingestion, the release, the publication
    "openpyxl",  # schools' returns and feedback workbooks
)

PROBE = """
import sys
from orchestration.definitions import defs
defs().get_repository_def()
print(" ".join(m for m in {deferred!r} if m in sys.modules))
"""


def test_loading_the_code_location_leaves_heavy_modules_to_their_assets(tmp_path):
    env_root = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(deferred=DEFERRED)], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=300, check=True,
        env={**os.environ, "SEND_DATA_ROOT": str(env_root),
             "DAGSTER_HOME": str(tmp_path / "home")},
    )
    assert result.stdout.strip() == ""
