"""Issue 12 item 2: hostile workbooks never crash or exhaust the run.

Every workbook here is built inside the test from the council's real template (no binary
fixtures), then broken on purpose:

W1  declares dimension A1:XFD1048576 (the 19 KB workbook that aborted the run process): refused
    before reading, declared_dimension_too_large, naming the sheet; also when the sheet is
    filed under another part name
W2  zip bomb: a sheet part of 300 MB of XML packed into ~300 KB: zip_bomb, nothing inflated
W3  huge sharedStrings: 40 MB of distinct texts (too_large), or a declared count of 5 million
W4  truncated workbook (damaged_workbook), CSV renamed .xlsx (not_a_workbook), 0 bytes
    (empty_file), OLE2 / password protected or an encrypted zip entry (password_protected),
    package XML that calamine accepts but ElementTree refuses (damaged_workbook, it used to
    fail the whole ingest)
W5  a workbook that passes the guard (its dimension says A1:K93) but has a cell at XFD1048576:
    the Rust reader asks for 512 GiB and aborts its worker under the memory limit:
    reader_crashed, the pool starts a new worker and the next workbooks are read
W6  a cell at CZ20000 under a small declared dimension: read within memory, then refused by
    the reader's own area cap (sheet_too_large)
W7  a reader that never returns (a FIFO that nobody writes): reader_timeout, then a new worker;
    and a worker stuck like that dies with its parent when the parent is killed with SIGKILL
W8  through ingest_school_returns into a real DuckDB file: good and hostile workbooks in one
    landing folder; exact registry, load_errors and return_submissions outcomes; the good
    returns load in full and the process running the ingest is still alive

On the code before this fix (the reader ran in the run process, with no limits) W1, W5 and W8
abort the test process itself ("memory allocation of 549755813888 bytes failed"); the zip bomb
was inflated in full in the run process (120 MB of it: 418 MB peak RSS) before failing on its
headers; W3 and W6 loaded as valid returns.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from ingest_corpus.builders import assert_registry_balanced, load_errors, registry, rows
from orchestration.ingest import ingest_school_returns
from orchestration.returns import guard
from orchestration.returns.model import example_return
from orchestration.returns.reader import ReturnStructureError, read_return_workbook
from orchestration.returns.template import write_return_workbook
from orchestration.returns.workers import ReturnReaders

YEAR_DIR = "school_returns/2024-25"
PUPILS_PART = "xl/worksheets/sheet4.xml"  # the template's sheet order: Instructions, Details..
TEMPLATE_DIMENSION = b'<dimension ref="A1:K'
RESEND = ("delete any rows and columns below and to the right of your answers (or copy your "
          "answers into a fresh copy of the council's template) and send it again")
CRASHED = ("the workbook could not be read: it made the reader stop (signal SIGABRT), which "
           "happens when a workbook needs more than the 1 GB a return may use; check it has no"
           " data or formatting far below or to the right of the template's cells, or copy your"
           " answers into a fresh copy of the council's template, and send it again")


# --- building workbooks ------------------------------------------------------------------

def good_workbook(path: Path, pupils: int = 3, urn: str = "118000") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_return_workbook(path, dataclasses.replace(example_return(pupils), urn=urn))
    return path


def rebuilt(source: Path, target: Path, parts: dict[str, object]) -> Path:
    """``source`` with some parts replaced: bytes, a function of the old bytes, or an iterable
    of chunks (written streamed, so hundreds of MB never sit in memory)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            replacement = parts.pop(info.filename, None)
            if replacement is None:
                new.writestr(info.filename, old.read(info))
            elif isinstance(replacement, bytes):
                new.writestr(info.filename, replacement)
            elif callable(replacement):
                new.writestr(info.filename, replacement(old.read(info)))
            else:
                with new.open(info.filename, "w", force_zip64=True) as stream:
                    for chunk in replacement:
                        stream.write(chunk)
        for name, data in parts.items():  # parts the template did not have
            new.writestr(name, data)
    return target


def with_dimension(xml: bytes, ref: str) -> bytes:
    start = xml.index(TEMPLATE_DIMENSION)
    end = xml.index(b"/>", start) + 2
    return xml[:start] + f'<dimension ref="{ref}" />'.encode() + xml[end:]


def with_cell(xml: bytes, address: str, row: int) -> bytes:
    cell = (f'<row r="{row}"><c r="{address}" t="inlineStr"><is><t>x</t></is></c></row>'
            .encode())
    return xml.replace(b"</sheetData>", cell + b"</sheetData>")


def dimension_bomb(folder: Path, name: str = "dimension.xlsx") -> Path:
    """The issue's workbook: declares every cell of the sheet, and has one in the corner."""
    return rebuilt(good_workbook(folder / "src_dimension.xlsx"), folder / name, {
        PUPILS_PART: lambda xml: with_cell(with_dimension(xml, "A1:XFD1048576"),
                                           "XFD1048576", 1048576)})


def far_cell(folder: Path, name: str = "far_cell.xlsx", address: str = "XFD1048576") -> Path:
    """Passes the guard (the dimension it declares is the template's), then a cell far out."""
    row = int("".join(ch for ch in address if ch.isdigit()))
    return rebuilt(good_workbook(folder / "src_far.xlsx"), folder / name, {
        PUPILS_PART: lambda xml: with_cell(xml, address, row)})


def zip_bomb(folder: Path, megabytes: int = 300) -> Path:
    """A sheet part of ``megabytes`` MB of valid-looking XML that packs ~1000:1."""
    def chunks():
        yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        yield b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        block = b" " * (1 << 20)
        for _ in range(megabytes):
            yield block
        yield b"</t></is></c></row></sheetData></worksheet>"
    return rebuilt(good_workbook(folder / "src_bomb.xlsx"), folder / "bomb.xlsx",
                   {PUPILS_PART: chunks()})


def shared_strings(count: int, declared: int | None = None) -> bytes:
    body = b"".join(b"<si><t>text %09d %x</t></si>" % (i, i * 7919) for i in range(count))
    declared = count if declared is None else declared
    return (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="'
            + str(declared).encode() + b'" uniqueCount="' + str(declared).encode() + b'">'
            + body + b"</sst>")


def read_guarded(path: Path):
    """What a worker does with one workbook, in this process (only for workbooks that cannot
    crash it: the guard refuses them before any reading)."""
    guard.check_workbook(path)
    return read_return_workbook(path, max_area=guard.MAX_AREA)


def refusal(path: Path) -> tuple[str, str]:
    with pytest.raises(ReturnStructureError) as caught:
        read_guarded(path)
    return caught.value.rule, caught.value.reason


# --- the guard, in this process --------------------------------------------------------------

def test_good_workbook_passes_every_limit(tmp_path):
    parsed = read_guarded(good_workbook(tmp_path / "good.xlsx", pupils=30))
    assert (len(parsed.pupils), parsed.errors) == (30, [])


def test_declared_dimension_bomb_is_refused_before_reading(tmp_path):
    path = dimension_bomb(tmp_path)
    assert path.stat().st_size < 30_000  # a tiny file: the size of the file says nothing
    assert refusal(path) == ("declared_dimension_too_large", (
        "the Pupils sheet says it uses cells up to XFD1048576 (1,048,576 rows by 16,384 "
        "columns); a return's sheets have at most 10,000 rows and 100 columns: " + RESEND))


def test_a_sheet_moved_to_another_part_name_is_still_checked(tmp_path):
    """Parts are told by their root element: a worksheet filed as xl/data/p.bin (the
    workbook's relationships point there) is still a worksheet."""
    source = dimension_bomb(tmp_path)
    with zipfile.ZipFile(source) as old:
        parts = {info.filename: old.read(info) for info in old.infolist()}
    parts["xl/data/p.bin"] = parts.pop(PUPILS_PART)
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"worksheets/sheet4.xml", b"data/p.bin")
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)
    assert refusal(moved) == refusal(source)


@pytest.mark.parametrize("ref, refused", [
    ("A1:K10000", False), ("A1:CV93", False), ("A1:K10001", True), ("A1:CW93", True),
    ("$A$1:$XFD$1048576", True), ("XFD1048576", True),
])
def test_declared_dimension_caps(tmp_path, ref, refused):
    path = rebuilt(good_workbook(tmp_path / "src.xlsx"), tmp_path / "dim.xlsx",
                   {PUPILS_PART: lambda xml: with_dimension(xml, ref)})
    if refused:
        assert refusal(path)[0] == "declared_dimension_too_large"
    else:
        guard.check_workbook(path)


def test_zip_bomb_is_refused_from_the_zip_directory(tmp_path):
    path = zip_bomb(tmp_path, megabytes=300)
    [part] = [i for i in zipfile.ZipFile(path).infolist() if i.filename == PUPILS_PART]
    assert part.file_size > 300 * 2**20 and part.compress_size < 1_000_000
    rule, reason = refusal(path)
    assert rule == "zip_bomb"
    assert reason.startswith(f"the workbook is not a normal Excel file: its part '{PUPILS_PART}'"
                             " unpacks to ")
    assert reason.endswith(" times its packed size (a 'zip bomb'); fill in the council's "
                           "template in Excel and send that")


@pytest.mark.parametrize("strings, reason", [
    (lambda: shared_strings(1_000_000), "its text cells take 37.6 MB; the limit is 32.0 MB"),
    (lambda: shared_strings(3, declared=5_000_000),
     "it declares 5,000,000 different texts; the limit is 1,000,000"),
])
def test_huge_shared_strings_are_refused(tmp_path, strings, reason):
    path = rebuilt(good_workbook(tmp_path / "src.xlsx"), tmp_path / "strings.xlsx",
                   {"xl/sharedStrings.xml": strings()})
    assert refusal(path) == ("too_large",
                             f"the workbook is too large to be a return: {reason}; {RESEND}")


def test_too_many_parts_and_too_large_file(tmp_path):
    many = rebuilt(good_workbook(tmp_path / "src.xlsx"), tmp_path / "many.xlsx",
                   {f"customXml/item{i}.xml": b"<a/>" for i in range(guard.MAX_PARTS)})
    assert refusal(many) == ("too_large", "the workbook is too large to be a return: it holds "
                             f"{guard.MAX_PARTS + 15:,} files inside; a workbook holds at most "
                             f"{guard.MAX_PARTS:,}; {RESEND}")
    large = rebuilt(good_workbook(tmp_path / "src.xlsx"), tmp_path / "large.xlsx",
                    {"xl/media/image1.bin": os.urandom(21 * 2**20)})
    assert refusal(large) == ("too_large", "the workbook is too large to be a return: the file"
                              f" is 21.0 MB; a return is at most 20.0 MB; {RESEND}")


@pytest.mark.parametrize("make, rule", [
    (lambda p: p.write_bytes(good_workbook(p.with_suffix(".src.xlsx")).read_bytes()[:9000]),
     "damaged_workbook"),
    (lambda p: p.write_bytes(b"urn,school\n118000,x\n"), "not_a_workbook"),
    (lambda p: p.write_bytes(b""), "empty_file"),
    (lambda p: p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504),
     "password_protected"),
])
def test_files_that_are_not_workbooks_keep_their_rules(tmp_path, make, rule):
    path = tmp_path / "bad.xlsx"
    make(path)
    assert refusal(path)[0] == rule


@pytest.mark.parametrize("part, damage", [
    ("xl/workbook.xml", lambda xml: xml + b"<junk/>"),
    ("xl/workbook.xml", lambda xml: xml.replace(b"<sheets>", b"<sheets>&nbsp;", 1)),
    ("xl/_rels/workbook.xml.rels",
     lambda xml: xml.replace(b"<Relationship ", b'<Relationship a="1" a="2" ', 1)),
])
def test_package_xml_that_only_calamine_accepts_is_a_damaged_workbook(tmp_path, part, damage):
    """calamine reads these; the stricter XML parser that finds error cells did not, and its
    exception failed the whole ingest (retried, and failing, every night)."""
    path = rebuilt(good_workbook(tmp_path / "src.xlsx"), tmp_path / "damaged.xlsx",
                   {part: damage})
    assert refusal(path) == ("damaged_workbook", (
        "the workbook is damaged or incomplete (it may have been cut short while saving or "
        "uploading): save it again in Excel and resend it"))


def test_an_encrypted_zip_entry_is_password_protected(tmp_path):
    data = bytearray(good_workbook(tmp_path / "src.xlsx").read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first central directory entry
    data[entry + 8] |= 1  # general purpose flag, bit 0: encrypted
    (tmp_path / "encrypted.xlsx").write_bytes(bytes(data))
    assert refusal(tmp_path / "encrypted.xlsx")[0] == "password_protected"


def test_the_reader_caps_the_area_it_read_when_the_dimension_lies(tmp_path):
    path = far_cell(tmp_path, address="CZ20000")
    guard.check_workbook(path)  # the declared dimension is the template's
    assert refusal(path) == ("sheet_too_large", (
        "the Pupils sheet has cells in 20,000 rows by 104 columns; a return's sheets have at "
        "most 10,000 rows and 100 columns: " + RESEND))
    assert len(read_return_workbook(path).pupils) == 3  # the plain reader has no cap


# --- the worker pool ---------------------------------------------------------------------------

def test_a_worker_killed_by_a_workbook_is_replaced_and_the_others_are_read(tmp_path):
    goods = [good_workbook(tmp_path / f"good{i}.xlsx", pupils=2 + i) for i in range(3)]
    paths = [goods[0], far_cell(tmp_path), goods[1], dimension_bomb(tmp_path), goods[2]]
    with ReturnReaders(workers=1) as readers:
        tickets = [readers.submit(path) for path in paths]
        outcomes = []
        for ticket in tickets:
            try:
                outcomes.append(len(ticket.result().pupils))
            except ReturnStructureError as error:
                outcomes.append((error.rule, error.reason))
        assert readers.started == 2  # one worker, and one in its place after the crash
    assert outcomes == [2, ("reader_crashed", CRASHED), 3,
                        ("declared_dimension_too_large", refusal(paths[3])[1]), 4]


def test_a_reader_that_never_returns_times_out_and_the_next_workbook_is_read(tmp_path):
    stuck = tmp_path / "stuck.xlsx"
    os.mkfifo(stuck)  # opening it for reading waits for a writer that never comes
    good = good_workbook(tmp_path / "good.xlsx")
    with ReturnReaders(workers=1, timeout=2.0) as readers:
        first, second = readers.submit(stuck), readers.submit(good)
        with pytest.raises(ReturnStructureError) as caught:
            first.result()
        assert len(second.result().pupils) == 3
        assert readers.started == 2
    assert caught.value.rule == "reader_timeout"
    assert caught.value.reason == (
        "the workbook could not be read: reading it took more than 2 seconds (a return takes "
        "well under one); check it has no data or formatting far below or to the right of the "
        "template's cells, or copy your answers into a fresh copy of the council's template, "
        "and send it again")


def test_workers_start_only_when_there_is_a_workbook_and_stop_on_close(tmp_path):
    with ReturnReaders() as readers:
        assert readers.started == 0
        ticket = readers.submit(good_workbook(tmp_path / "good.xlsx"))
        assert len(ticket.result().pupils) == 3
        processes = [worker.process for worker in readers._workers]
    assert processes and all(process.poll() is not None for process in processes)


PARENT = """
import sys
from pathlib import Path
from orchestration.returns.workers import ReturnReaders
readers = ReturnReaders(workers=1)
readers.submit(Path(sys.argv[1]))
readers._wait(block=False)
while not readers._workers[0].ready:
    readers._wait(block=False)
print(readers._workers[0].process.pid, flush=True)
readers._workers[0].process.wait()
"""


def test_a_worker_stuck_in_a_read_dies_with_a_parent_killed_by_sigkill(tmp_path):
    """A run killed with kill -9 while a worker is stuck (here: on a FIFO) leaves no worker."""
    stuck = tmp_path / "stuck.xlsx"
    os.mkfifo(stuck)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(stuck)], stdout=subprocess.PIPE,
                              text=True)
    worker_pid = int(parent.stdout.readline())
    assert _alive(worker_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


# --- through the ingestion, into a real warehouse file -----------------------------------------

def test_ingest_quarantines_hostile_workbooks_and_loads_the_rest(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / YEAR_DIR
    good_workbook(folder / "118001_good.xlsx", pupils=4, urn="118001")
    good_workbook(folder / "118002_good.xlsx", pupils=6, urn="118002")
    built = tmp_path / "built"
    built.mkdir()
    hostile = {
        "118003_dimension.xlsx": dimension_bomb(built),
        "118004_crash.xlsx": far_cell(built),
        "118005_bomb.xlsx": zip_bomb(built, megabytes=120),
        "118006_strings.xlsx": rebuilt(good_workbook(built / "s.xlsx"), built / "st.xlsx", {
            "xl/sharedStrings.xml": shared_strings(3, declared=5_000_000)}),
        "118007_truncated.xlsx": None,
        "118008_renamed.xlsx": None,
        "118009_empty.xlsx": None,
    }
    for name, source in hostile.items():
        if source is not None:
            (folder / name).write_bytes(source.read_bytes())
    (folder / "118007_truncated.xlsx").write_bytes(
        good_workbook(built / "t.xlsx").read_bytes()[:9000])
    (folder / "118008_renamed.xlsx").write_bytes(b"urn,school\n118008,x\n")
    (folder / "118009_empty.xlsx").write_bytes(b"")

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    summary = ingest_school_returns(con, landing, tmp_path / "archive")
    assert_registry_balanced(con)
    assert (summary.files_seen, summary.files_loaded, summary.files_quarantined) == (9, 2, 7)
    assert summary.rows_loaded == 4 + 2 + 2 + 6 + 2 + 2

    by_file = {r["source_file"]: (r["status"], r["rows_loaded"]) for r in registry(con)}
    assert by_file == {
        f"{YEAR_DIR}/118001_good.xlsx": ("loaded", 8),
        f"{YEAR_DIR}/118002_good.xlsx": ("loaded", 10),
        **{f"{YEAR_DIR}/{name}": ("quarantined", 0) for name in hostile},
    }
    errors = {e["source_file"]: (e["rule"], e["severity"], e["message"]) for e in load_errors(con)}
    rules = {name: errors[f"{YEAR_DIR}/{name}"][0] for name in hostile}
    assert rules == {
        "118003_dimension.xlsx": "declared_dimension_too_large",
        "118004_crash.xlsx": "reader_crashed",
        "118005_bomb.xlsx": "zip_bomb",
        "118006_strings.xlsx": "too_large",
        "118007_truncated.xlsx": "damaged_workbook",
        "118008_renamed.xlsx": "not_a_workbook",
        "118009_empty.xlsx": "empty_file",
    }
    assert errors[f"{YEAR_DIR}/118004_crash.xlsx"] == (
        "reader_crashed", "error", f"{YEAR_DIR}/118004_crash.xlsx: {CRASHED}")
    assert errors[f"{YEAR_DIR}/118003_dimension.xlsx"][2] == (
        f"{YEAR_DIR}/118003_dimension.xlsx: the Pupils sheet says it uses cells up to "
        "XFD1048576 (1,048,576 rows by 16,384 columns); a return's sheets have at most 10,000 "
        f"rows and 100 columns: {RESEND}")
    submissions = {s["_source_file"]: (s["status"], s["status_reason"]) for s in rows(
        con, "SELECT * FROM bronze.return_submissions")}
    for name in hostile:
        source_file = f"{YEAR_DIR}/{name}"
        assert submissions[source_file] == ("quarantined", errors[source_file][2])
    pupils = rows(con, "SELECT _source_file, count(*) AS n FROM bronze.return_pupils"
                       " GROUP BY ALL ORDER BY 1")
    assert [(p["_source_file"], p["n"]) for p in pupils] == [
        (f"{YEAR_DIR}/118001_good.xlsx", 4), (f"{YEAR_DIR}/118002_good.xlsx", 6)]
    con.close()
