"""SEN2 return readers: the XML return and the Blade CSV set give the same records; hostile or
malformed XML is refused with one exception class and a quarantine reason, never read.

Fast: small returns written by orchestration/sen2/writer.py, no warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile

import pytest

from orchestration.sen2 import spec
from orchestration.sen2.blade import read_blade
from orchestration.sen2.example import example_return
from orchestration.sen2.records import REASONS, Sen2FileError
from orchestration.sen2.writer import write_blade, write_xml
from orchestration.sen2.xml_reader import Limits, iter_xml, read_xml

EXPORT_DATE = dt.date(2025, 2, 3)


@pytest.fixture(scope="module", params=spec.YEARS)
def written(request, tmp_path_factory):
    """One example return per year, written in both formats."""
    original = example_return(5, request.param)
    folder = tmp_path_factory.mktemp(f"sen2_{request.param}")
    write_xml(original, folder / "return.xml")
    write_blade(original, folder / "blade", EXPORT_DATE)
    return original, folder


def test_xml_round_trip(written):
    original, folder = written
    assert read_xml(folder / "return.xml").content() == original.content()


def test_blade_round_trip(written):
    original, folder = written
    read = read_blade(folder / "blade")
    assert read.content() == original.content()
    assert [r.row for r in read.records["sen_need"]] == list(range(2, 12))  # header = row 1


def test_records_equal_across_formats(written, tmp_path):
    """XML -> records -> Blade -> records, and Blade -> records -> XML -> records."""
    original, folder = written
    from_xml = read_xml(folder / "return.xml")
    from_blade = read_blade(folder / "blade")
    assert from_xml.content() == from_blade.content()
    write_blade(from_xml, tmp_path / "again", EXPORT_DATE)
    write_xml(from_blade, tmp_path / "again.xml")
    assert read_blade(tmp_path / "again").content() == from_xml.content()
    assert read_xml(tmp_path / "again.xml").content() == from_blade.content()


def test_blade_identifiers_kept_and_children_found_by_them(written, tmp_path):
    """Blade table ids are any text (COLLECT's are not positions); rows find their parents by
    them, and writing a Blade set read from one keeps them."""
    _, folder = written
    blade = tmp_path / "ids"
    blade.mkdir()
    for path in (folder / "blade").iterdir():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        header = lines[0].split(",")
        id_columns = [i for i, h in enumerate(header) if h.endswith("tableid")]
        rows = []
        for line in lines[1:]:
            fields = line.split(",")
            for i in id_columns:
                fields[i] = f"{header[i][:3]}-{fields[i]}-x"
            rows.append(",".join(fields))
        # a lower-case file name, as some exports have
        (blade / path.name.lower()).write_text("\n".join([lines[0], *rows]) + "\n",
                                               encoding="utf-8")
    read = read_blade(blade)
    assert read.content() == read_blade(folder / "blade").content()
    assert read.records["sen_need"][0].ids["activeplanstableid"] == "act-1-x"
    write_blade(read, tmp_path / "rewritten", EXPORT_DATE)
    again = read_blade(tmp_path / "rewritten")
    assert [r.ids for r in again.records["requests"]] == [r.ids for r in read.records["requests"]]


def test_year_naming_2024_and_2025(written):
    """2024 returns carry gendercurrent, 2025 returns sex; review meeting and outcome are
    module 5a items from 2025 (and res/wbp moved to 5b)."""
    original, folder = written
    xml = (folder / "return.xml").read_text(encoding="utf-8")
    person = read_xml(folder / "return.xml").records["person"][0].values
    active = read_blade(folder / "blade").records["active_plans"][0].values
    if original.year == 2024:
        assert "<GenderCurrent>" in xml and "<Sex>" not in xml
        assert "gendercurrent" in person and "sex" not in person
        assert "reviewmeeting" not in active and {"res", "wbp"} <= active.keys()
    else:
        assert "<Sex>" in xml and "<GenderCurrent>" not in xml
        assert "sex" in person and "gendercurrent" not in person
        assert {"reviewmeeting", "reviewoutcome"} <= active.keys() and "res" not in active


def test_spec_years():
    names = {year: {i.name for i in spec.items("person", year)} for year in spec.YEARS}
    assert "gendercurrent" in names[2024] - names[2025]
    assert "sex" in names[2025] - names[2024]
    need = spec.item("sen_need", "sentype", 2025)
    assert "DS" in spec.codes(need, 2025) and "DS" not in spec.codes(need, 2024)
    assert {i.name for i in spec.items("active_plans", 2025)} >= {"reviewmeeting",
                                                                  "reviewoutcome"}
    assert not {i.name for i in spec.items("active_plans", 2024)} & {"reviewmeeting",
                                                                     "reviewoutcome"}


def test_blade_set_missing_a_module_file(written, tmp_path):
    _, folder = written
    for path in (folder / "blade").iterdir():
        if not path.name.endswith("_senneed.csv"):
            (tmp_path / path.name).write_bytes(path.read_bytes())
    with pytest.raises(Sen2FileError) as caught:
        read_blade(tmp_path)
    assert caught.value.rule == "missing_module_file" and "senneed" in caught.value.reason


def test_xml_streams_records_before_the_end(written, tmp_path):
    """Records come out a Person at a time: those before a fault at the end of a file are
    yielded before the fault is met (the file is never held whole)."""
    _, folder = written
    text = (folder / "return.xml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(text.replace("</Persons>", "<Person><Surname>x</Persons>"),
                      encoding="utf-8")
    seen = []
    with pytest.raises(Sen2FileError) as caught:
        for record in iter_xml(broken):
            seen.append(record)
    assert caught.value.rule == "malformed_xml"
    assert len([r for r in seen if r.module == "person"]) == 5


def test_repeated_item_keeps_the_first(written, tmp_path):
    _, folder = written
    text = (folder / "return.xml").read_text(encoding="utf-8")
    path = tmp_path / "repeated.xml"
    path.write_text(text.replace("<RYA>0</RYA>", "<RYA>0</RYA><RYA>1</RYA>", 1),
                    encoding="utf-8")
    read = read_xml(path)
    assert read.records["requests"][0].values["rya"] == "0"
    [problem] = read.problems
    assert (problem.rule, problem.column, problem.value) == ("repeated_item", "rya", None)
    assert "module 2 requests record 1, item rya" in problem.message


# --- hostile and malformed XML -------------------------------------------------------------

HEADER = ("<Header><CollectionDetails><Collection>SEN2</Collection><Year>2025</Year>"
          "<ReferenceDate>2025-01-16</ReferenceDate></CollectionDetails></Header>")
PERSON = "<Person><Surname>{}</Surname></Person>"


def _message(persons: str = PERSON.format("A"), prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<Message>{HEADER}'
            f"<Persons>{persons}</Persons></Message>").encode()


BILLION_LAUGHS = ('<!DOCTYPE Message [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                            for i in range(1, 10)).replace("&lol0;", "&lol;")
                  + "]>")
HOSTILE = {
    "billion_laughs": (_message(PERSON.format("&lol9;"), BILLION_LAUGHS), "dtd_forbidden"),
    "internal_entity": (_message(PERSON.format("&x;"), '<!DOCTYPE Message [<!ENTITY x "y">]>'),
                        "dtd_forbidden"),
    "external_dtd_over_network": (
        _message(prolog='<!DOCTYPE Message SYSTEM "http://127.0.0.1:9/sen2.dtd">'),
        "dtd_forbidden"),
    "empty": (b"", "empty_file"),
    "blank": (b"  \n\n ", "empty_file"),
    "zip_renamed": (None, "not_xml"),
    "csv_renamed": (b"surname,forename\nA,B\n", "not_xml"),
    "truncated": (_message()[:-40], "truncated"),
    # cut inside a two-byte character: libxml2 would quote the byte, which is data
    "truncated_mid_character": (_message(PERSON.format("Zo\u00eb" * 3)).split(b"\xc3")[0]
                                + b"\xc3", "truncated"),
    "malformed": (_message(PERSON.format("A</Forename>")), "malformed_xml"),
    "undeclared_entity": (_message(PERSON.format("&nbsp;")), "malformed_xml"),
    "wrong_root": (_message().replace(b"Message>", b"Return>"), "wrong_root"),
    "namespaced_root": (_message().replace(b"<Message>", b'<Message xmlns="urn:other">'),
                        "wrong_root"),
    "declared_latin1": (_message().replace(b"UTF-8", b"ISO-8859-1"), "wrong_encoding"),
    "declared_utf16": (_message().replace(b"UTF-8", b"UTF-16"), "wrong_encoding"),
    "latin1_bytes_declared_utf8": (_message(PERSON.format("Zo\u00eb")).replace(
        "Zo\u00eb".encode(), "Zo\u00eb".encode("latin-1")), "wrong_encoding"),
    "utf16_bom": (_message().decode().encode("utf-16"), "wrong_encoding"),
    "no_header": (_message().replace(HEADER.encode(), b""), "missing_header"),
    "nested_in_item": (_message("<Person><Surname><b>A</b></Surname></Person>"),
                       "unexpected_element"),
    "misspelt_persons": (_message().replace(b"Persons>", b"Persns>"), "unexpected_element"),
    "stray_in_persons": (_message(PERSON.format("A") + "<Child/>"), "unexpected_element"),
    "two_headers": (_message().replace(HEADER.encode(), HEADER.encode() * 2),
                    "unexpected_element"),
    "huge_text_node": (_message(PERSON.format("A" * 11_000_000)), "item_too_long"),
}


def write_case(path, data: bytes | None):
    """A hostile case's file: its bytes, or (None) a zip holding a return, named .xml."""
    if data is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("return.xml", _message())
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_xml_is_refused_with_a_reason(case, tmp_path):
    data, rule = HOSTILE[case]
    path = write_case(tmp_path / f"{case}.xml", data)
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path)
    assert caught.value.rule == rule
    assert caught.value.rule in REASONS and path.name in caught.value.reason
    assert "0x" not in caught.value.reason and "Zo" not in caught.value.reason  # no data
    assert "C3" not in caught.value.reason


def test_record_rows_are_the_lines_their_elements_start_on_past_line_65535(tmp_path):
    """libxml2 keeps an element's line in 16 bits; past line 65,535 lxml read every record one
    line late (a person on line 65,554 was said to be on 65,555): every real LA's return is
    that long. Each record's row is checked against where its start tag is in the file."""
    path = write_xml(example_return(1400), tmp_path / "long.xml")
    data = path.read_bytes()
    records = list(iter_xml(path))
    assert max(r.row for r in records) > 70_000
    for module in spec.MODULES[1:]:
        tag = f"<{module.xml}>".encode()
        starts, line, at = [], 1, 0
        while (found := data.find(tag, at)) != -1:
            line += data.count(b"\n", at, found)
            starts.append(line)
            at = found + 1
        assert [r.row for r in records if r.module == module.key] == starts, module.key


@pytest.mark.parametrize("limit, persons, rule", [
    (Limits(max_bytes=500), 20, "too_large"),
    (Limits(max_records=3), 4, "too_many_records"),
    (Limits(max_item_chars=5), 1, "item_too_long"),
])
def test_size_limits(limit, persons, rule, tmp_path):
    path = tmp_path / "big.xml"
    path.write_bytes(_message(PERSON.format("ABCDEF") * persons))
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path, limit)
    assert caught.value.rule == rule
    read_xml(path, Limits())  # within the default limits


def test_depth_limit(tmp_path):
    nested = "<Requests>" * 1 + "<Assessment><NamedPlan><PlanDetail><URN>1</URN></PlanDetail>" \
        "</NamedPlan></Assessment></Requests>"
    path = tmp_path / "deep.xml"
    path.write_bytes(_message(f"<Person>{nested}</Person>"))
    read_xml(path)  # the deepest real path: 8 levels
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path, Limits(max_depth=7))
    assert caught.value.rule == "too_deep"


LOCAL_FILE_READ = """
import sys
from orchestration.sen2.records import Sen2FileError
from orchestration.sen2.xml_reader import read_xml
try:
    read_xml(sys.argv[1])
except Sen2FileError as exc:
    print(exc.rule, exc.reason)
"""


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE Message [<!ENTITY secret SYSTEM "file://{target}">]>',
    '<!DOCTYPE Message SYSTEM "file://{target}">',
    '<!DOCTYPE Message [<!ENTITY % remote SYSTEM "file://{target}"> %remote;]>',
])
def test_local_file_is_never_opened(prolog, tmp_path):
    """External entities and DTDs naming a local file: the file is a FIFO with no writer, so
    a parser that opened it would block; a real process with a timeout shows it never does,
    and the reason says nothing of the file's content."""
    target = tmp_path / "secret"
    os.mkfifo(target)
    path = tmp_path / "xxe.xml"
    path.write_bytes(_message(PERSON.format("&secret;") if "secret" in prolog else PERSON.format("A"),
                              prolog.format(target=target)))
    done = subprocess.run([sys.executable, "-c", LOCAL_FILE_READ, str(path)],
                          capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dtd_forbidden ")


def test_local_file_content_never_reaches_records_or_reasons(tmp_path):
    target = tmp_path / "secret.txt"
    target.write_text("SECRET-MARKER-4242")
    path = tmp_path / "xxe.xml"
    path.write_bytes(_message(PERSON.format("&secret;"),
                              f'<!DOCTYPE Message [<!ENTITY secret SYSTEM "file://{target}">]>'))
    with pytest.raises(Sen2FileError) as caught:
        read_xml(path)
    assert "SECRET" not in str(caught.value)
