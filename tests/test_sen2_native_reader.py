"""The native SEN2 XML reader (orchestration/sen2/_native.c, native_reader.py): a fast path that
either gives exactly iter_xml's records or raises NativeFallback (the ingest then re-reads the
file with iter_xml). The property checked on every file here: NativeFallback, or the same
records as iter_xml and iter_xml accepts the file. Valid returns, odd-but-valid files, every
hostile case of the reader tests, a seeded differential fuzz (also under ASan/UBSan), batch
boundaries, lines past 65,535 and the GIL released while parsing.
"""

from __future__ import annotations

import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from orchestration.sen2 import native_reader, spec
from orchestration.sen2.example import example_return
from orchestration.sen2.native_reader import NativeFallback, column_batches, records_from_tables
from orchestration.sen2.records import Sen2FileError
from orchestration.sen2.writer import write_xml
from orchestration.sen2.xml_reader import LIMITS, Limits, iter_xml
from tests import test_sen2_reader_structure as structure
from tests import test_sen2_readers as readers

REPO = Path(__file__).resolve().parent.parent
ORDER = {m.key: n for n, m in enumerate(spec.MODULES)}
# a fallback reason: plain words, perhaps a line number; never anything from the file
REASON = re.compile(r"^[A-Za-z0-9 ,.'-]+( \(line \d+\))?$")

needs_native = pytest.mark.skipif(
    native_reader._native is None,
    reason="the native SEN2 reader is not built (no C compiler at install time): "
           "iter_xml is used instead")


def test_extension_built_where_a_compiler_exists():
    """CI has gcc: the install (pip install -e, setup.py) must have built the extension."""
    if shutil.which("gcc") is None:
        pytest.skip("no gcc here: the extension is optional")
    assert native_reader._native is not None, "gcc exists but orchestration.sen2._native " \
                                              "did not build (pip install -e '.[dev]')"


def test_available_follows_the_switch(monkeypatch):
    monkeypatch.setenv("SEND_SEN2_NATIVE", "0")
    assert native_reader.available() is False
    monkeypatch.setenv("SEND_SEN2_NATIVE", "1")
    assert native_reader.available() is (native_reader._native is not None)


def _sorted(records):
    return sorted(records, key=lambda r: (ORDER[r.module], r.position))


def native(path, limits=LIMITS, batch_persons=20_000):
    """The native reader's records (sorted) and its batches' person counts."""
    records, persons = [], []
    for tables in column_batches(path, limits, batch_persons):
        assert set(tables) <= set(ORDER)
        for table in tables.values():
            assert table.column_names[:4] == list(native_reader.ID_COLUMNS)
        persons.append(tables["person"].num_rows if "person" in tables else 0)
        records += records_from_tables(tables, Path(path).name)
    return _sorted(records), persons


def check(path, limits=LIMITS, batch_persons=20_000) -> str:
    """The property: 'fallback', or 'equal' (same records as iter_xml, which accepts)."""
    try:
        got, _ = native(path, limits, batch_persons)
    except NativeFallback as exc:
        assert REASON.match(exc.reason), exc.reason
        return "fallback"
    try:
        expected = _sorted(iter_xml(path, limits))
    except Sen2FileError as exc:
        raise AssertionError(f"native read a file iter_xml refuses ({exc.rule})") from None
    assert got == expected
    return "equal"


# --- valid returns -------------------------------------------------------------------------

@needs_native
@pytest.mark.parametrize("year", spec.YEARS)
def test_example_returns_equal_iter_xml(year, tmp_path):
    path = write_xml(example_return(5, year), tmp_path / "return.xml")
    assert check(path) == "equal"


@needs_native
def test_batches_hold_whole_persons_as_the_ingest_cuts_them(tmp_path, monkeypatch):
    """batch_persons 7 over 45 persons: batches of 7 (the last 3), the header in the first,
    each batch the records iter_xml gives between the same person boundaries; also with a
    read size of a few bytes (every event split across reads)."""
    path = write_xml(example_return(45), tmp_path / "return.xml")
    expected = list(iter_xml(path))
    cut, persons = [[]], 0
    for record in expected:  # ingest/sen2.py read_batches' boundaries
        if record.module == "person":
            if persons == 7:
                cut.append([])
                persons = 0
            persons += 1
        cut[-1].append(record)
    for chunk in (1 << 20, 61):
        monkeypatch.setattr(native_reader, "_CHUNK", chunk)
        batches = list(column_batches(path, batch_persons=7))
        assert [t["person"].num_rows for t in batches] == [7] * 6 + [3]
        assert ["header" in t for t in batches] == [True] + [False] * 6
        assert [records_from_tables(t, path.name) for t in batches] == \
            [_sorted(records) for records in cut]
    # exactly a multiple of the batch: no empty batch at the end
    assert [t["person"].num_rows for t in column_batches(path, batch_persons=9)] == [9] * 5


@needs_native
def test_rows_past_line_65535_are_exact(tmp_path):
    """The writer's layout (the test of xml_reader for lines): read natively, rows equal."""
    path = write_xml(example_return(1400), tmp_path / "long.xml")
    got, _ = native(path)
    assert max(r.row for r in got) > 70_000
    assert got == _sorted(iter_xml(path))


@needs_native
@pytest.mark.parametrize("layout", ["crlf", "one_person_a_line", "tabs"])
def test_long_returns_in_other_layouts(layout, tmp_path):
    """Past line 65,535 iter_xml counts lines from the text after each start tag: other
    layouts are read natively and equal, or fall back, never differ."""
    data = write_xml(example_return(1400), tmp_path / "w.xml").read_bytes()
    if layout == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif layout == "tabs":
        data = data.replace(b"  ", b"\t")
    else:
        data = re.sub(rb"\n\s*", b"", data).replace(b"</Person>", b"</Person>\n")
        data = data.replace(b"<Person>", b"\n" * 50 + b"<Person>", 1)  # start past 65,535 sooner
    path = tmp_path / f"{layout}.xml"
    path.write_bytes(data)
    assert check(path) in ("equal", "fallback")
    if layout in ("crlf", "tabs"):
        assert check(path) == "equal"


# what follows <Person> past line 65,535 (where iter_xml counts lines from that text) ->
# the outcome expected of the native reader
PAST_65535 = {
    "blank": ("\n  <Surname>A</Surname>", "equal"),
    "reference": ("&amp;\n<Surname>A</Surname>", "equal"),
    "non_ascii": ("\u00e9\n<Surname>A</Surname>", "fallback"),
    "compact_first_item_with_reference": ("<Surname>O&amp;B</Surname>", "equal"),
    "empty_first_item_then_blank": ("<Forename/>\n<Surname>A</Surname>", "equal"),
    "empty_first_item_then_item": ("<Forename/><Surname>A</Surname>", "fallback"),
    "line_break_by_reference": ("&#10;\n<Surname>A</Surname>", "fallback"),  # iter_xml is off
    "comment": ("\n<!-- c -->\n<Surname>A</Surname>", "fallback"),
    "start_tag_over_two_lines": ("<Surname\n>A</Surname>", "fallback"),
}


@needs_native
@pytest.mark.parametrize("case", sorted(PAST_65535))
def test_text_after_start_tags_past_line_65535(case, tmp_path):
    text, outcome = PAST_65535[case]
    person = f"<Person>{text}</Person>\n"
    data = readers._message(person * 3).replace(b"<Persons>", b"<Persons>" + b"\n" * 65_600)
    path = tmp_path / f"{case}.xml"
    path.write_bytes(data)
    assert check(path) == outcome


ODD_PERSONS = [
    # whitespace text, empty elements both ways, entities, character references, attributes
    '<Person a="1"><Surname>  </Surname><Forename/><UPN></UPN><PostCode>A&amp;B &lt;&gt;'
    '</PostCode><Ethnicity>&#233;&#x41;&#10;x</Ethnicity><Sex b="x">M</Sex></Person>',
    # items after and between nested records, an unknown item, a request with no children
    '<Person><Requests><RYA>0</RYA></Requests><Surname>Z\u00f6e \u4e2d</Surname>'
    '<Requests><RYA>1</RYA><ActivePlans><SENneed><SENtype>ASD</SENtype></SENneed>'
    '<PlacementDetail><URN>1</URN></PlacementDetail><SENneed><SENtype>MLD</SENtype>'
    '</SENneed></ActivePlans><Favourite>x</Favourite></Requests><Favourite>y</Favourite>'
    '</Person>',
    # names spelt in other cases (one column), structural names as items
    '<Person><SURNAME>a</SURNAME><Header/><Requests><Requests>r</Requests>'
    '<Assessment><NamedPlan><PlanDetail><URN>2</URN></PlanDetail></NamedPlan><Week20>1'
    '</Week20></Assessment></Requests></Person>',
    '<Person>\n\t<Surname>multi\nline\r\ntext</Surname>\n</Person>',
]


def _odd_message(newline: str = "\n") -> bytes:
    persons = "<!-- between persons -->".join(ODD_PERSONS)
    text = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{newline}'
            f'<!-- before the root -->{newline}<Message m="x">{newline}'
            f'<Header><CollectionDetails c="1"><Collection>SEN2</Collection>{newline}'
            f'<Year>2025</Year></CollectionDetails><Source/><Extra>e</Extra></Header>'
            f'{newline}<Persons>{newline}{persons}{newline}</Persons></Message>{newline}'
            f'<!-- after the root -->{newline}')
    return text.encode()


@needs_native
@pytest.mark.parametrize("variant", ["lf", "crlf", "bom", "no_declaration", "no_persons"])
def test_odd_but_valid_files_are_read_natively(variant, tmp_path):
    data = _odd_message("\r\n" if variant == "crlf" else "\n")
    if variant == "bom":
        data = b"\xef\xbb\xbf" + data
    elif variant == "no_declaration":
        data = data[data.index(b"?>") + 2:].lstrip()
    elif variant == "no_persons":
        data = re.sub(rb"<Persons>.*</Persons>", b"<Persons/>", data, flags=re.S)
    path = tmp_path / "odd.xml"
    path.write_bytes(data)
    assert check(path) == "equal"
    got, persons = native(path)
    assert persons == ([0] if variant == "no_persons" else [4])
    if variant == "lf":
        first = [r for r in got if r.module == "person"][0]
        assert first.values["surname"] == "  " and first.values["forename"] is None
        assert first.values["postcode"] == "A&B <>" and first.values["ethnicity"] == "\u00e9A\nx"


# --- hostile files -------------------------------------------------------------------------

def _hostile_cases():
    cases = {f"readers_{name}": (data, LIMITS) for name, (data, _) in readers.HOSTILE.items()}
    cases.update({f"structure_{name}": (data, LIMITS)
                  for name, (data, _) in structure.REFUSED.items()})
    small = readers._message(readers.PERSON.format("ABCDEF") * 20)
    cases.update({
        "limit_bytes": (small, Limits(max_bytes=500)),
        "limit_records": (small, Limits(max_records=3)),
        "limit_item_chars": (small, Limits(max_item_chars=5)),
        "limit_depth": (readers._message(
            "<Person><Requests><Assessment><NamedPlan><PlanDetail><URN>1</URN></PlanDetail>"
            "</NamedPlan></Assessment></Requests></Person>"), Limits(max_depth=7)),
        "xxe_local_file": (readers._message(readers.PERSON.format("&secret;"),
                                            '<!DOCTYPE Message [<!ENTITY secret SYSTEM '
                                            '"file:///etc/hostname">]>'), LIMITS),
        "structural_names_as_items": (structure.message(
            structure.HEADER + "<Persons><Person><Surname>A</Surname><Header/><Person/>"
                               "</Person></Persons>"), LIMITS),
        "two_lines_structure": (structure.message(
            structure.HEADER + f"<Persons>\n{structure.PERSON}\n{structure.PERSON}</Persons>"),
                                LIMITS),
    })
    # libxml2 refuses a text node, comment, PI or attribute over 10 MB (huge_tree off)
    person = readers.PERSON.format("A")
    big = "x" * 11_000_000
    cases.update({
        "huge_blank_in_persons": (readers._message(person + " " * 11_000_000 + person), LIMITS),
        "huge_blank_over_a_comment": (readers._message(
            person + " " * 6_000_000 + "<!-- c -->" + " " * 6_000_000 + person), LIMITS),
        "huge_comment_in_persons": (readers._message(person + f"<!--{big}-->" + person), LIMITS),
        "huge_comment_in_prolog": (readers._message(person, f"<!--{big}-->"), LIMITS),
        "huge_pi_in_persons": (readers._message(person + f"<?p {big}?>" + person), LIMITS),
        "huge_attribute": (readers._message(person.replace(">", f' a="{big}">', 1)), LIMITS),
        "huge_text_in_message": (readers._message(person).replace(
            b"<Persons>", big.encode() + b"<Persons>"), LIMITS),
    })
    return cases


HOSTILE = _hostile_cases()


@needs_native
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_fall_back_or_equal(case, tmp_path):
    data, limits = HOSTILE[case]
    path = readers.write_case(tmp_path / f"{case}.xml", data)
    outcome = check(path, limits)
    if case == "two_lines_structure":
        assert outcome == "equal"  # valid: read natively
    if case == "structural_names_as_items":  # an item "person" would be a second person column
        assert outcome == "fallback"
    try:
        list(iter_xml(path, limits))
    except Sen2FileError:
        assert outcome == "fallback"


# --- differential fuzz ---------------------------------------------------------------------

INSERTS = [b"<!-- c -->", b"<![CDATA[x<y]]>", b"<?pi x?>", b"<!DOCTYPE Message>", b"&amp;",
           b"&#10;", b"&#x41;", b"&lol;", b"<X/>", b"<Surname>d</Surname>", b"\r\n", b"\r",
           b" a=\"1\"", b"\xc3\xa9", b"\xff", b"\xc3", b"]]>", b"<Person>", b"</Person>",
           b'xmlns="urn:x"', b"<p:X/>", b"<\xc3\x89/>", b"\n" * 3, b"\t", b"\x00", b"&#0;"]
# mostly well-formed where they land (before a tag): blanks, references, markup lxml drops
BLANKS = [b"\n", b" ", b"\t", b"\r\n", b"\n\n  ", b"&amp;", b"&#10;", b"&#x20;", b"x\n",
          b"\xc3\xa9\n", b" " * 300 + b"\n", b"<!-- c -->", b"<?pi?>"]
FLIP_BYTES = b"<>/&;\"'=!?[]\n\r\t x\x80\xc3\xbf\x00"


def _mutate(base: bytes, rng: random.Random) -> bytes:
    data = bytearray(base)
    for _ in range(rng.choice((1, 1, 2, 3))):
        kind = rng.randrange(9)
        at = rng.randrange(len(data) + 1)
        if kind == 0 and data:  # byte flip
            data[min(at, len(data) - 1)] = rng.choice(FLIP_BYTES)
        elif kind == 1:  # truncation
            del data[at:]
        elif kind in (2, 3):  # a line duplicated or deleted
            lines = bytes(data).split(b"\n")
            i = rng.randrange(len(lines))
            if kind == 2:
                lines.insert(i, lines[i])
            else:
                del lines[i]
            data = bytearray(b"\n".join(lines))
        elif kind == 4:  # an insertion at a tag boundary
            tags = [m.start() for m in re.finditer(rb"<", bytes(data))] or [0]
            at = rng.choice(tags)
            data[at:at] = rng.choice(INSERTS)
        elif kind == 5:  # an insertion anywhere
            data[at:at] = rng.choice(INSERTS)
        elif kind in (7, 8):  # blanks, a reference or a comment before a tag
            tags = [m.start() for m in re.finditer(rb"<", bytes(data))] or [0]
            at = rng.choice(tags)
            data[at:at] = rng.choice(BLANKS)
        else:  # an item repeated in its record
            items = list(re.finditer(rb"<(\w+)>[^<]*</\1>", bytes(data)))
            if items:
                m = rng.choice(items)
                data[m.end():m.end()] = m.group(0)
    return bytes(data)


def _fuzz_corpus(folder: Path, count: int, seed: int, long: bool = False) -> list[Path]:
    """``count`` mutants of the base return; ``long``: each with 65,100 blank lines after its
    first tag, so its records start past line 65,535 (where iter_xml counts lines from text)."""
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = folder / f"fuzz{'_long' if long else ''}{n:05d}.xml"
        data = _mutate(_BASE, rng)
        if long:
            at = data.find(b">") + 1
            data = data[:at] + b"\n" * 65_100 + data[at:]
        path.write_bytes(data)
        paths.append(path)
    return paths


_BASE = b""  # the fuzz's valid return (base_return)


@pytest.fixture(scope="module")
def base_return(tmp_path_factory) -> bytes:
    global _BASE
    folder = tmp_path_factory.mktemp("fuzz_base")
    data = write_xml(example_return(3), folder / "base.xml").read_bytes()
    # odd features for the fuzz to shift around: a comment, an entity, an attribute, <X/>
    data = data.replace(b"<Persons>", b"<Persons><!-- c -->", 1)
    data = data.replace(b"<Surname>Surname1</Surname>", b"<Surname>S&amp;1</Surname><X/>", 1)
    data = data.replace(b"<Person>", b'<Person a="1">', 1)
    _BASE = data
    return data


def _fuzz(tmp_path, count, seed, long=False):
    outcomes = {"equal": 0, "fallback": 0}
    for path in _fuzz_corpus(tmp_path, count, seed, long):
        for batch_persons in (20_000, 1):
            outcomes[check(path, batch_persons=batch_persons)] += 1
    return outcomes


@needs_native
def test_differential_fuzz(base_return, tmp_path):
    outcomes = _fuzz(tmp_path, 300, seed=16)
    assert outcomes["equal"] > 50 and outcomes["fallback"] > 50, outcomes


@needs_native
def test_differential_fuzz_past_line_65535(base_return, tmp_path):
    outcomes = _fuzz(tmp_path, 200, seed=17, long=True)
    assert outcomes["equal"] > 20 and outcomes["fallback"] > 20, outcomes


@needs_native
@pytest.mark.slow
def test_differential_fuzz_many(base_return, tmp_path):
    for seed in range(4):
        _fuzz(tmp_path, 2500, seed=1000 + seed)
    for seed in range(2):
        _fuzz(tmp_path, 2000, seed=2000 + seed, long=True)


# --- sanitizers ------------------------------------------------------------------------------

SANITIZED_RUN = textwrap.dedent("""
    import importlib.util, pickle, sys
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("orchestration.sen2._native", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from orchestration.sen2 import native_reader
    native_reader._native = module
    native_reader._CHUNK = int(sys.argv[3])
    out = {}
    for path in sorted(Path(sys.argv[2]).glob("*.xml")):
        for batch_persons in (20_000, 1):
            try:
                got = [native_reader.records_from_tables(t, path.name)
                       for t in native_reader.column_batches(path, batch_persons=batch_persons)]
            except native_reader.NativeFallback as exc:
                got = exc.reason
            out[(path.name, batch_persons)] = got
    with open("/proc/self/maps") as maps:  # the sanitizer runtime is really in the process
        out["asan loaded"] = "libasan" in maps.read()
    pickle.dump(out, sys.stdout.buffer)
""")


def _sanitized_build(folder: Path) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None or native_reader._native is None:
        pytest.skip("no gcc (or the extension is not built): no sanitizer build")
    libasan = subprocess.run([gcc, "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        pytest.skip("gcc has no libasan")
    target = folder / "_native_asan.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-g", "-O1", "-fno-omit-frame-pointer",
                    "-fsanitize=address,undefined", "-I", sysconfig.get_paths()["include"],
                    str(REPO / "orchestration/sen2/_native.c"), "-o", str(target)],
                   check=True, capture_output=True)
    return target


def _sanitized(tmp_path, count, seed, chunk):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _fuzz_corpus(corpus, count, seed)
    # valid files too: every path that hands batches out runs under the sanitizers
    write_xml(example_return(40), corpus / "valid.xml")
    (corpus / "odd.xml").write_bytes(_odd_message())
    build = _sanitized_build(tmp_path)
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                             text=True).stdout.strip()
    env = dict(os.environ, LD_PRELOAD=libasan, ASAN_OPTIONS="detect_leaks=0",
               UBSAN_OPTIONS="print_stacktrace=1", PYTHONMALLOC="malloc")
    done = subprocess.run([sys.executable, "-c", SANITIZED_RUN, str(build), str(corpus),
                           str(chunk)], capture_output=True, env=env, cwd=REPO, timeout=600)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, stderr[-3000:]
    assert "ERROR: AddressSanitizer" not in stderr and "runtime error" not in stderr, stderr[-3000:]
    results = pickle.loads(done.stdout)
    assert results.pop("asan loaded") is True
    native_reader._CHUNK, saved = chunk, native_reader._CHUNK
    try:  # the sanitized build gives what the normal one gives
        for (name, batch_persons), got in results.items():
            try:
                expected = [records_from_tables(t, name)
                            for t in column_batches(corpus / name, batch_persons=batch_persons)]
            except NativeFallback as exc:
                expected = exc.reason
            assert got == expected, name
    finally:
        native_reader._CHUNK = saved


@needs_native
def test_sanitizers_on_the_fuzz_corpus(base_return, tmp_path):
    _sanitized(tmp_path, 120, seed=77, chunk=37)


@needs_native
@pytest.mark.slow
def test_sanitizers_on_a_large_fuzz_corpus(base_return, tmp_path):
    _sanitized(tmp_path, 3000, seed=78, chunk=1 << 20)


# --- threads ---------------------------------------------------------------------------------

@needs_native
def test_the_gil_is_released_while_parsing(tmp_path):
    """A Python thread keeps counting while the main thread is inside one call of the
    extension that reads and parses a whole ~6 MB return."""
    path = write_xml(example_return(4000), tmp_path / "big.xml")
    counter, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=count)
    thread.start()
    try:
        time.sleep(0.05)
        reader = native_reader._native.Reader(str(path), batch_persons=1_000_000)
        before, started = counter[0], time.perf_counter()
        batch = next(reader)  # one C call: the whole file
        after, took = counter[0], time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
    assert batch["person"][0] == 4000
    assert took > 0.01 and after - before > 1000, (after - before, took)
