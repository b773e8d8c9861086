"""Faults in the school outbox (issue 12, items 7 and 9).

Item 7, formula injection: text the council does not control (GIAS school names, values typed
into returns, the names of returned files) that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is written as a text cell holding exactly that text, never a formula:
checked by reading each real workbook back with openpyxl and in its raw sheet XML.

Item 9, a long file name: a 250-character return name gets a capped, unique feedback name and
every other feedback is still written; a workbook that cannot be written (its path taken by a
directory, a worker process killed) stops nothing else and is reported by name in the outbox
assets' metadata, their warning check and the run's log.

One small sample landing (scale 0.02) with hostile names and values planted in its GIAS file
and returns is ingested and built once for the module; the outbox assets run on it through
Dagster.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import importlib
import os
import re
import shutil
import signal
import sys
import textwrap
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.outbox import writer
from orchestration.outbox.feedback import (
    Feedback, Issue, Submission, feedback_paths, write_feedback_workbook,
)
from orchestration.outbox.names import MAX_NAME_BYTES, safe_name
from orchestration.returns import layout
from orchestration.returns.model import SchoolReturn, example_return
from orchestration.returns.template import write_return_workbook
from tests.conftest import run_dbt

PAYLOAD = "cmd|' /C calc'!A0"
PREFIXES = {"equals": "=", "plus": "+", "minus": "-", "at": "@", "tab": "\t", "cr": "\r"}
HYPERLINK = '=HYPERLINK("http://example.invalid/x","Click for your results")'
FEEDBACK_NAME_LIMIT = MAX_NAME_BYTES + len("_v99_feedback.xlsx")


def hostile(prefix: str) -> str:
    return f"{prefix}{PAYLOAD}"


def hostile_file_name(prefix: str, tail: str = "") -> str:
    """A file name cannot hold the payload's '/'."""
    return f"{hostile(prefix).replace('/', '')}{tail}.xlsx"


# --- reading a workbook back ---------------------------------------------------------------

def sheet_xml(path: Path) -> dict[str, str]:
    """Raw XML of each worksheet, by sheet name."""
    book = openpyxl.load_workbook(path)
    with zipfile.ZipFile(path) as archive:
        return {ws.title: archive.read(f"xl/worksheets/sheet{index}.xml").decode()
                for index, ws in enumerate(book.worksheets, start=1)}


def cell_xml(xml: str, coordinate: str) -> str:
    found = re.search(rf'<c r="{coordinate}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert found, coordinate
    return found.group(0)


def find_cell(path: Path, sheet: str, value):
    """The one cell of ``sheet`` whose value is exactly ``value``."""
    ws = openpyxl.load_workbook(path)[sheet]
    found = [cell for row in ws.iter_rows() for cell in row if cell.value == value]
    assert len(found) == 1, (sheet, value, [c.coordinate for c in found])
    return found[0]


def assert_text_cell(path: Path, sheet: str, value: str) -> None:
    """``value`` is in ``sheet`` exactly, as a string cell, with no formula in the XML."""
    cell = find_cell(path, sheet, value)
    assert cell.data_type == "s"
    xml = cell_xml(sheet_xml(path)[sheet], cell.coordinate)
    assert "<f>" not in xml and "<f " not in xml and 't="inlineStr"' in xml


def assert_no_formulas(path: Path) -> None:
    for name, xml in sheet_xml(path).items():
        assert not re.search(r"<f[ >/]", xml), (path.name, name)


# --- item 7: formula injection, each prefix, each source -----------------------------------

@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_a_gias_school_name_is_text_in_the_template(prefix, tmp_path):
    name = hostile(prefix)
    path = tmp_path / "template.xlsx"
    write_return_workbook(path, SchoolReturn(urn="118000", school_name=name,
                                             academic_year="2025/26"))
    assert_text_cell(path, layout.DETAILS, name)
    assert_text_cell(path, layout.INSTRUCTIONS, f"{name} (URN 118000)")
    assert_no_formulas(path)


def submission(file_name: str, school_name: str = "A School") -> Submission:
    return Submission(f"school_returns/2024-25/{file_name}", "a" * 64, "2024/25", "118000",
                      school_name, "2024/25", dt.date(2025, 7, 1), dt.datetime(2025, 7, 2, 9),
                      "invalid", None, False, False, False, dt.date(2025, 9, 30))


def feedback_on(sub: Submission, value: str) -> Feedback:
    issue = Issue("error", "Pupils", "H12", 12, "Attendance %", value,
                  "Attendance % is not a number between 0 and 100", "Type the number only.",
                  "not_a_number")
    return Feedback(sub, "not accepted", "Not accepted: 1 error to correct", ["Correct it."],
                    [issue], [], "Compared.", {"errors": 1, "warnings": 0,
                                               "pupil_differences": 0})


@pytest.mark.parametrize("prefix", PREFIXES.values(), ids=PREFIXES.keys())
def test_a_value_from_a_return_and_a_file_name_are_text_in_the_feedback(prefix, tmp_path):
    value, file_name = hostile(prefix), hostile_file_name(prefix)
    item = feedback_on(submission(file_name, school_name=hostile(prefix)), value)
    [path] = feedback_paths([item], tmp_path)
    path.parent.mkdir(parents=True)
    write_feedback_workbook(path, item)
    assert_text_cell(path, "Issues", value)  # Value entered
    assert_text_cell(path, "Summary", file_name)  # File received
    assert_text_cell(path, "Summary", f"{hostile(prefix)} (URN 118000)".strip())  # School
    assert_no_formulas(path)
    assert path.name == f"118000_{'-' if prefix == '-' else ''}cmd_C_calc_A0_feedback.xlsx"


def test_a_hyperlink_formula_and_an_error_code_stay_text(tmp_path):
    file_name = HYPERLINK.replace("/", "") + ".xlsx"
    item = feedback_on(submission(file_name, school_name=HYPERLINK), "#REF!")
    path = tmp_path / "feedback.xlsx"
    write_feedback_workbook(path, item)
    assert_text_cell(path, "Summary", file_name)
    assert_text_cell(path, "Summary", f"{HYPERLINK} (URN 118000)")
    assert_text_cell(path, "Issues", "#REF!")
    assert_no_formulas(path)


def test_control_characters_in_a_file_name_do_not_fail_the_workbook(tmp_path):
    item = feedback_on(submission("return\x01\x1b.xlsx"), "ninety")
    [path] = feedback_paths([item], tmp_path)
    path.parent.mkdir(parents=True)
    write_feedback_workbook(path, item)
    assert_text_cell(path, "Summary", "return\ufffd\ufffd.xlsx")
    assert path.name == "118000_return_feedback.xlsx"


def test_data_validations_keep_their_formulas(tmp_path):
    """The template's only formulas are its data validations (lists, limits): not cells."""
    path = tmp_path / "template.xlsx"
    write_return_workbook(path, example_return(2))
    validations = openpyxl.load_workbook(path)[layout.PUPILS].data_validations.dataValidation
    lists = {v.formula1 for v in validations if v.type == "list"}
    assert layout.list_range("designation") in lists
    assert_no_formulas(path)


# --- item 9: safe, capped, unique names ----------------------------------------------------

def test_safe_name():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("..hidden") == "hidden"
    assert safe_name("a\x00b\nc\td/e\\f") == "a_b_c_d_e_f"
    assert safe_name("école été") == "cole_t"
    assert safe_name("...", default="return") == "return"
    long_a, long_b = "x" * 240 + "_a", "x" * 240 + "_b"
    a, b = safe_name(long_a), safe_name(long_b)
    assert a != b and len(a.encode()) == len(b.encode()) == MAX_NAME_BYTES
    assert a.startswith("x" * 100) and re.fullmatch(r"x+-[0-9a-f]{10}", a)
    assert safe_name(long_a) == a  # stable: the same name every night


# --- item 9: one failing workbook never stops the others (worker processes) ---------------

def school_returns(folder: Path, count: int, names=None) -> list[tuple[Path, SchoolReturn]]:
    names = names or {}
    return [(folder / f"{100000 + i}.xlsx",
             SchoolReturn(str(100000 + i), names.get(i, f"School {i}"), "2025/26",
                          date_completed=dt.date(2026, 7, 1)))
            for i in range(count)]


def test_a_workbook_that_fails_in_a_worker_does_not_stop_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(writer.os, "cpu_count", lambda: 2)
    jobs = school_returns(tmp_path, writer.PARALLEL_FROM + 2)
    jobs[7][0].mkdir()  # its path is taken: IsADirectoryError in a worker process
    outcome = writer.write_changed(jobs, write_return_workbook, tmp_path)
    assert outcome.failed == {jobs[7][0]: "IsADirectoryError: Is a directory"}
    assert len(outcome.written) == len(outcome.files) == len(jobs) - 1
    assert all(path.is_file() for path, _ in jobs if path != jobs[7][0])
    state = (tmp_path / writer.STATE_FILE).read_text(encoding="utf-8")
    assert '"100006.xlsx"' in state and '"100007.xlsx"' not in state

    jobs[7][0].rmdir()  # fixed: the next run writes only that one
    again = writer.write_changed(jobs, write_return_workbook, tmp_path)
    assert again.written == [jobs[7][0]] and again.failed == {}


def test_a_worker_process_that_dies_loses_only_its_unfinished_workbooks(tmp_path, monkeypatch):
    module = tmp_path / "dying_writer.py"
    module.write_text(textwrap.dedent("""
        import os, signal
        from orchestration.returns.template import write_return_workbook

        def write_or_die(path, item):
            if item.school_name == "die":
                os.kill(os.getpid(), signal.SIGKILL)
            write_return_workbook(path, item)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setattr(writer.os, "cpu_count", lambda: 2)
    write_or_die = importlib.import_module("dying_writer").write_or_die
    out = tmp_path / "out"
    jobs = school_returns(out, writer.PARALLEL_FROM + 2, names={4: "die"})
    outcome = writer.write_changed(jobs, write_or_die, out)
    # two workers: even items in one, odd in the other; item 4 kills the first worker after
    # it wrote items 0 and 2, so items 4, 6, ... 40 (19) are lost and reported, 23 written
    lost = [path for index, (path, _) in enumerate(jobs) if index % 2 == 0 and index >= 4]
    assert outcome.failed == {path: f"worker process died (exit code {-signal.SIGKILL})"
                              for path in lost}
    assert len(outcome.written) == 23
    assert sorted(out.glob("*.xlsx")) == sorted(outcome.written)


# --- a small warehouse with hostile names and values (module fixture) ----------------------

SAFE_PREFIXES = {"equals": "=", "plus": "+", "minus": "-", "at": "@"}  # survive CSV trimming


def long_name(urn: str, number: int) -> str:
    name = (f"{urn}_a_return_name_that_goes_on_" + "and_on_" * 40)[:243] + f"_{number}.xlsx"
    assert len(name) == 250
    return name


@pytest.fixture(scope="module")
def hostile_warehouse(small_landing, tmp_path_factory):
    from orchestration.ingest import (
        ingest_gias, ingest_school_returns, ingest_srp_register, ingest_synergy,
    )

    root = tmp_path_factory.mktemp("faults_outbox")
    landing = root / "landing"
    shutil.copytree(small_landing, landing)
    schools = srp_schools(landing)
    gias_names = dict(zip(schools, (hostile(p) for p in SAFE_PREFIXES.values())))
    rename_gias_schools(landing, gias_names)
    returns = landing / "school_returns" / "2024-25"
    planted = {}
    for (key, prefix), urn in zip(SAFE_PREFIXES.items(), schools):
        file_name = hostile_file_name(prefix, f" {key}")
        school_return = example_return(1)
        pupil = dataclasses.replace(school_return.pupils[0], attendance_pct=hostile(prefix))
        write_return_workbook(returns / file_name, dataclasses.replace(
            school_return, urn=urn, school_name=hostile(prefix), pupils=[pupil]))
        planted[file_name] = (urn, key, hostile(prefix))
    long_names = [long_name(schools[0], number) for number in (1, 2)]
    for day, name in enumerate(long_names, start=1):
        write_return_workbook(returns / name, dataclasses.replace(
            example_return(2), urn=schools[0], date_completed=dt.date(2025, 7, day)))
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for ingest in (ingest_synergy, ingest_gias, ingest_srp_register, ingest_school_returns):
            ingest(con, landing, root / "archive")
    build_silver(warehouse, landing, root)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        received = [row[0] for row in con.execute(
            "select _source_file from bronze.return_submissions").fetchall()]
        names_in_bronze = dict(con.execute(
            "select urn, establishment_name from bronze.gias_establishment").fetchall())
    return dict(root=root, landing=landing, warehouse=warehouse, gias_names=gias_names,
                names_in_bronze=names_in_bronze, planted=planted, long_names=long_names,
                received=received)


def srp_schools(landing: Path) -> list[str]:
    register = max((landing / "srp_register").glob("srp_register_*.csv"))
    with register.open(encoding="utf-8-sig", newline="") as handle:
        return sorted({row["urn"] for row in csv.DictReader(handle)})


def rename_gias_schools(landing: Path, names: dict[str, str]) -> None:
    [path] = (landing / "gias").glob("*.csv")
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle))
    urn, name = rows[0].index("URN"), rows[0].index("EstablishmentName")
    for row in rows[1:]:
        row[name] = names.get(row[urn], row[name])
    with path.open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle).writerows(rows)


def build_silver(warehouse: Path, landing: Path, root: Path) -> None:
    assert warehouse == root / "warehouse.duckdb"
    result = run_dbt(
        root, "build", "--select", "+silver_return_submission", "+silver_return_pupil_reconciliation",
        "--exclude", "resource_type:test", env={**os.environ, "SEND_LANDING_DIR": str(landing)},
    )
    assert result.returncode == 0, result.stdout[-5000:]


def run_outbox(sample: dict, outbox: Path, taken: tuple[Path, ...] = ()):
    """The outbox assets through Dagster; each path in ``taken`` is made a directory first,
    so that workbook cannot be written. Returns the result, metadata, checks, the warnings
    logged and what the alert sensor finds in the run."""
    import dagster as dg

    from orchestration.defs.alerts.sensors import failed_check_findings
    from orchestration.defs.outbox.assets import return_feedback, return_templates
    from orchestration.resources import FoldersResource, WarehouseResource

    for path in taken:
        path.mkdir(parents=True)
    folders = FoldersResource(landing=str(sample["landing"]), archive=str(outbox.parent),
                              published=str(outbox.parent), report=str(outbox.parent),
                              outbox=str(outbox))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([return_templates, return_feedback], instance=instance, resources={
        "warehouse": WarehouseResource(path=str(sample["warehouse"])), "folders": folders})
    metadata = {event.asset_key.path[-1]: {k: v.value for k, v in
                                           event.materialization.metadata.items()}
                for event in result.get_asset_materialization_events()}
    checks = {evaluation.asset_key.path[-1]: evaluation
              for evaluation in result.get_asset_check_evaluations()}
    warnings = [entry.user_message for entry in instance.all_logs(result.run_id)
                if entry.level == 30 and entry.dagster_event is None]
    return result, metadata, checks, warnings, failed_check_findings(instance, result.run_id)


def feedback_files(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("feedback/*/*_feedback.xlsx"))


@pytest.fixture(scope="module")
def outbox_run(hostile_warehouse, tmp_path_factory):
    outbox = tmp_path_factory.mktemp("outbox_run") / "outbox"
    return outbox, *run_outbox(hostile_warehouse, outbox)


def test_a_250_character_return_name_gets_a_capped_unique_feedback_name(
        hostile_warehouse, outbox_run):
    outbox, result, metadata, checks, warnings, alerts = outbox_run
    assert result.success and warnings == [] and alerts == []
    files = feedback_files(outbox)
    assert len(files) == len(hostile_warehouse["received"]) == 41  # 35 sample + 4 + 2 long
    assert metadata["return_feedback"]["files_written"] == 41
    assert metadata["return_feedback"]["files_failed"] == 0
    assert metadata["return_feedback"]["failed_files"] == {}
    assert checks["return_feedback"].passed and checks["return_templates"].passed
    assert all(len(path.name.encode()) <= FEEDBACK_NAME_LIMIT for path in files)
    long_ones = [p for p in files if "a_return_name_that_goes_on" in p.name]
    assert len(long_ones) == 2 and long_ones[0] != long_ones[1]
    for path in long_ones:
        stem = path.name.removesuffix("_feedback.xlsx")
        assert len(stem) == MAX_NAME_BYTES and re.search(r"-[0-9a-f]{10}$", stem)
        book = openpyxl.load_workbook(path)
        received = [row[1] for row in book["Summary"].iter_rows(values_only=True)
                    if row[0] == "File received"]
        assert received[0] in hostile_warehouse["long_names"]


def test_gias_names_return_values_and_file_names_are_text_in_the_outbox(
        hostile_warehouse, outbox_run):
    outbox = outbox_run[0]
    for urn, name in hostile_warehouse["gias_names"].items():
        assert hostile_warehouse["names_in_bronze"][urn] == name  # as landed
        [template] = outbox.glob(f"templates/*/{urn}_*_SRP_return.xlsx")
        assert_text_cell(template, layout.DETAILS, name)
        assert_text_cell(template, layout.INSTRUCTIONS, f"{name} (URN {urn})")
    for file_name, (urn, key, value) in hostile_warehouse["planted"].items():
        [path] = outbox.glob(f"feedback/2024-25/{urn}_*cmd_C_calc_A0_{key}_feedback.xlsx")
        assert_text_cell(path, "Summary", file_name)
        assert_text_cell(path, "Summary", f"{value} (URN {urn})")
        assert_text_cell(path, "Issues", value)
    for path in [*outbox.glob("templates/*/*.xlsx"), *feedback_files(outbox)]:
        assert_no_formulas(path)


def test_a_workbook_that_cannot_be_written_is_reported_and_stops_nothing(
        hostile_warehouse, outbox_run, tmp_path):
    first = outbox_run[0]
    ordinary = next(p for p in feedback_files(first) if "cmd" not in p.name
                    and "a_return_name" not in p.name)
    template = next(first.glob("templates/*/*.xlsx"))
    outbox = tmp_path / "outbox"
    taken = (outbox / ordinary.relative_to(first), outbox / template.relative_to(first))
    result, metadata, checks, warnings, alerts = run_outbox(hostile_warehouse, outbox, taken)
    assert result.success
    feedback_name = ordinary.relative_to(first).as_posix()
    template_name = template.relative_to(first).as_posix()
    assert metadata["return_feedback"]["files_failed"] == 1
    assert metadata["return_feedback"]["files_written"] == 40
    assert metadata["return_feedback"]["failed_files"] == {
        feedback_name: "IsADirectoryError: Is a directory"}
    assert metadata["return_templates"]["failed_files"] == {
        template_name: "IsADirectoryError: Is a directory"}
    for asset, name in (("return_feedback", feedback_name), ("return_templates", template_name)):
        check = checks[asset]
        assert not check.passed and check.severity.value == "WARN"
        assert check.metadata["failed_files"].value == {name: "IsADirectoryError: Is a directory"}
        assert any(name in line for line in warnings)
    # what the alert sensor sends: counts only, no file names
    assert sorted((a.asset, a.check, a.severity, a.counts["files_failed"]) for a in alerts) == [
        ("outbox/return_feedback", "every_workbook_written", "WARN", 1),
        ("outbox/return_templates", "every_workbook_written", "WARN", 1)]
    assert not any("xlsx" in str(a.counts) for a in alerts)
    others = {p.relative_to(first) for p in feedback_files(first)} - {Path(feedback_name)}
    assert {p.relative_to(outbox) for p in feedback_files(outbox) if p.is_file()} == others
    templates = {p.relative_to(first) for p in first.glob("templates/*/*.xlsx")}
    assert {p.relative_to(outbox) for p in outbox.glob("templates/*/*.xlsx") if p.is_file()} \
        == templates - {Path(template_name)}
