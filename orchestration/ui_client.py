"""Talking to a running `make ui` over the GraphQL API its web page uses: a free loopback port
to start it on, one GraphQL request, and waiting until the code location has loaded. Shared by
the UI tests and the one-asset benchmark (benchmarks/bench_ui_single_asset.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

# launchRun starts a run worker that loads the code location: slow on a loaded 2-core machine
REQUEST_TIMEOUT_S = 120
LOADED_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


class UiError(RuntimeError):
    """The UI answered with GraphQL errors, exited, or did not load in time."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """The ``data`` of one GraphQL request; UiError carrying the errors if there are any."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
        payload = json.load(response)
    if "errors" in payload:
        raise UiError(payload["errors"])
    return payload["data"]


def wait_until_loaded(port: int, ui: subprocess.Popen, timeout_s: float, poll_s: float = 0.5) -> None:
    """Until every code location of the UI started as ``ui`` is LOADED."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ui.poll() is not None:
            raise UiError("the UI exited during start-up")
        try:
            entries = graphql(port, LOADED_QUERY)["workspaceOrError"]["locationEntries"]
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(poll_s)
    raise UiError("the UI did not load the code location in time")
