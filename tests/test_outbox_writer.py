"""The outbox writer writes only workbooks whose content changed, and the same bytes whether
it writes them in this process or in worker processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.outbox import writer
from orchestration.returns.model import SchoolReturn
from orchestration.returns.template import write_return_workbook


def school_return(urn: str, name: str) -> SchoolReturn:
    return SchoolReturn(urn=urn, school_name=name, academic_year="2025/26",
                        date_completed=dt.date(2026, 7, 1))


def jobs(folder: Path, count: int, name: str = "School") -> list[tuple[Path, SchoolReturn]]:
    return [(folder / f"{100000 + i}.xlsx", school_return(str(100000 + i), f"{name} {i}"))
            for i in range(count)]


def test_unchanged_content_is_not_written_again(tmp_path):
    work = jobs(tmp_path, 3)
    assert len(writer.write_changed(work, write_return_workbook, tmp_path).written) == 3
    assert writer.write_changed(work, write_return_workbook, tmp_path).written == []

    changed = [work[0], (work[1][0], school_return("100001", "Renamed")), work[2]]
    work[2][0].unlink()
    written = writer.write_changed(changed, write_return_workbook, tmp_path).written
    assert written == [work[1][0], work[2][0]]  # changed content, and a missing file

    work[0][0].write_bytes(b"edited by hand")  # a different size: written again
    assert writer.write_changed(changed, write_return_workbook, tmp_path).written == [work[0][0]]


def test_worker_processes_write_the_same_bytes(tmp_path, monkeypatch):
    count = writer.PARALLEL_FROM + 2
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    monkeypatch.setattr(writer.os, "cpu_count", lambda: 1)
    writer.write_changed(jobs(serial, count), write_return_workbook, serial)
    monkeypatch.setattr(writer.os, "cpu_count", lambda: 2)
    written = writer.write_changed(jobs(parallel, count), write_return_workbook, parallel).written
    assert len(written) == count
    for path in written:
        assert path.read_bytes() == (serial / path.name).read_bytes()


def test_state_forgets_files_no_longer_produced(tmp_path):
    writer.write_changed(jobs(tmp_path, 3), write_return_workbook, tmp_path)
    writer.write_changed(jobs(tmp_path, 1), write_return_workbook, tmp_path)
    state = (tmp_path / writer.STATE_FILE).read_text(encoding="utf-8")
    assert "100000.xlsx" in state and "100002.xlsx" not in state


def test_workers_work_from_a_script_without_a_main_guard(tmp_path):
    """Workers run writer.py itself, so a caller's script is never re-imported (spawn-based
    pools re-run an unguarded script's top level in every worker)."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import datetime as dt, os, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        from orchestration.outbox import writer
        from orchestration.returns.model import SchoolReturn
        from orchestration.returns.template import write_return_workbook
        os.cpu_count = lambda: 2
        out = Path(sys.argv[1])
        jobs = [(out / f"{{i}}.xlsx", SchoolReturn(str(100000 + i), "School", "2025/26"))
                for i in range(writer.PARALLEL_FROM)]
        print(len(writer.write_changed(jobs, write_return_workbook, out).written))
    """))
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(writer.PARALLEL_FROM)
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == writer.PARALLEL_FROM
