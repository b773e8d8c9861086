"""The XML return read as columns (orchestration/sen2/native_reader.py, the fast path of
orchestration/ingest/sen2.py) loads exactly what the records path loads: the same bronze rows,
the same load_errors and the same registry, on clean and randomly broken returns, across
batch boundaries, with a rejected header, with persons given twice in different batches, and
when the native reader is not sure of a file (the records path then reads it again)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import sen2 as ingest
from orchestration.sen2 import native_reader, spec
from orchestration.sen2.example import example_return
from orchestration.sen2.writer import write_xml

pytestmark = pytest.mark.skipif(not native_reader.available(),
                                reason="the native SEN2 reader is not built here")

BATCH = 7  # persons a batch: every return below spans several batches
KEPT = "* EXCLUDE (_loaded_at)"


def loaded(tmp_path: Path, xml: Path, native: bool, monkeypatch) -> dict[str, list]:
    """Bronze, load_errors and the registry after ingesting the return, as sorted rows."""
    monkeypatch.setenv("SEND_SEN2_NATIVE", "1" if native else "0")
    monkeypatch.setattr(ingest, "BATCH_PERSONS", BATCH)
    monkeypatch.setattr(ingest, "INSERT_ROWS", 25)  # rows of several batches in one insert
    root = tmp_path / ("native" if native else "records")
    folder = root / "landing" / "sen2" / "2025-01-20"
    folder.mkdir(parents=True)
    shutil.copy(xml, folder / "return.xml")
    (folder / "_SUCCESS").touch()
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        ingest.ingest_sen2(con, root / "landing", root / "archive")
        out = {name: sorted(con.sql(f"SELECT {KEPT} FROM bronze.{name}").fetchall(), key=repr)
               for name in ingest.TABLES}
        out["load_errors"] = sorted(con.sql(
            "SELECT * EXCLUDE (detected_at) FROM bronze.load_errors").fetchall(), key=repr)
        out["registry"] = con.sql(
            "SELECT source_file, status, rows_landed, rows_loaded, rows_rejected, reason"
            " FROM bronze.file_registry").fetchall()
    return out


def same_either_way(tmp_path, xml, monkeypatch) -> dict[str, list]:
    native = loaded(tmp_path, xml, True, monkeypatch)
    records = loaded(tmp_path, xml, False, monkeypatch)
    for name in records:
        assert native[name] == records[name], name
    return native


BREAKS = (
    lambda r, v, n: v.__setitem__(n, ""),             # blank (mandatory items: required)
    lambda r, v, n: v.__setitem__(n, "ZZ"),           # unknown code, bad rank, bad URN...
    lambda r, v, n: v.__setitem__(n, "31/02/2020"),   # not a date
    lambda r, v, n: v.__setitem__(n, " " + str(v.get(n)) + " "),  # padded: still valid
    lambda r, v, n: v.pop(n, None),                   # item left out
    lambda r, v, n: v.__setitem__("madeupitem", "x"),  # an item no year has
)


def broken_return(seed: int, persons: int = 40, year: int = 2025, breaks: int = 25):
    rng = random.Random(seed)
    result = example_return(persons, year)
    modules = [m.key for m in spec.MODULES[1:] if result.records[m.key]]
    for _ in range(breaks):
        record = rng.choice(result.records[rng.choice(modules)])
        name = rng.choice(sorted(record.values))
        rng.choice(BREAKS)(record, record.values, name)
    people = result.records["person"]
    people[-1].values["upn"] = people[1].values["upn"]  # given twice, batches apart
    people[-3].values["uniquelearnernumber"] = people[-2].values.get("uniquelearnernumber")
    return result


@pytest.mark.parametrize("seed,year", [(1, 2025), (2, 2024), (3, 2025)])
def test_a_broken_return_loads_the_same_as_columns_and_as_records(tmp_path, monkeypatch,
                                                                   seed, year):
    xml = write_xml(broken_return(seed, year=year), tmp_path / "return.xml")
    got = same_either_way(tmp_path, xml, monkeypatch)
    rules = {row[8] for row in got["load_errors"]}
    assert {"duplicate_person", "parent_rejected"} <= rules  # the scenario is really broken
    assert got["sen2_person"] and got["sen2_sen_need"]


def test_a_clean_return_loads_the_same(tmp_path, monkeypatch):
    xml = write_xml(example_return(23), tmp_path / "return.xml")
    got = same_either_way(tmp_path, xml, monkeypatch)
    assert len(got["sen2_person"]) == 23


def test_a_rejected_header_rejects_every_record_either_way(tmp_path, monkeypatch):
    result = example_return(20)
    result.header.values["lea"] = "ABC"  # not an LA code: the header is rejected
    xml = write_xml(result, tmp_path / "return.xml")
    got = same_either_way(tmp_path, xml, monkeypatch)
    assert all(not got[name] for name in ingest.TABLES)
    assert len(got["load_errors"]) >= 1 + 20 * 9  # the header's, and one for every record


def test_a_file_the_native_reader_is_not_sure_of_is_read_again_as_records(
        tmp_path, monkeypatch):
    xml = write_xml(example_return(20), tmp_path / "return.xml")
    text = xml.read_text()
    # an item given twice: the records path keeps the first and says so
    xml.write_text(text.replace("<SENtypeRank>", "<SENtypeRank>1</SENtypeRank><SENtypeRank>", 1))
    with pytest.raises(native_reader.NativeFallback):
        for _ in native_reader.column_batches(xml, batch_persons=BATCH):
            pass
    got = same_either_way(tmp_path, xml, monkeypatch)
    assert any(row[8] == "repeated_item" for row in got["load_errors"])


def test_a_hostile_file_is_quarantined_the_same(tmp_path, monkeypatch):
    xml = write_xml(example_return(20), tmp_path / "return.xml")
    xml.write_bytes(xml.read_bytes()[:-300])  # truncated
    got = same_either_way(tmp_path, xml, monkeypatch)
    assert got["registry"][0][1] == "quarantined"


def test_blank_and_trimmed_values_over_columns_are_exactly_what_strip_finds():
    """The column checks find blank values and values to trim with a regular expression
    written out from str.isspace(); every character, alone and at either end, agrees with
    ``_filled`` (str.strip())."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from orchestration.sen2 import validate

    assert validate.SPACES == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    values = chars + ["a" + c for c in chars[:0x3100]] + [c + "a" for c in chars[:0x3100]] + [""]
    column = pa.array(values, pa.string())
    blank = pc.match_substring_regex(column, validate._blank_pattern()).to_pylist()
    edge = pc.match_substring_regex(column, validate._edge_space_pattern()).to_pylist()
    assert blank == [validate._filled(v) is None for v in values]
    assert edge == [v != "" and validate._filled(v) != v for v in values]
