"""`make ui`: the Dagster UI on 127.0.0.1:3000 with a persistent DAGSTER_HOME."""

from __future__ import annotations

import os
import sys

from orchestration.instance import ensure_dagster_home
from orchestration.settings import REPO_ROOT


def main() -> None:
    ensure_dagster_home()
    host = os.environ.get("SEND_UI_HOST", "127.0.0.1")
    port = os.environ.get("SEND_UI_PORT", "3000")
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    os.chdir(REPO_ROOT)
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "-h", host, "-p", port])


if __name__ == "__main__":
    main()
