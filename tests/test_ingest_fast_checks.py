"""The column-wise fast checks in validate.py may only vouch for values the row rules accept.

check_rows skips ``check_value`` for values the DuckDB condition passes, so a condition that
passed a value the rules reject would let bad data into bronze. For UPNs the condition
implements the check letter itself and must agree with python-stdnum exactly on canonical
UPNs (upper case, no spaces).
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest
from stdnum.gb import upn

from orchestration import contract
from orchestration.ingest.csv_reader import RawCsv
from orchestration.ingest.validate import Context, _fast_check_sql, check_rows, check_value

CTX = Context("test.csv")
SOURCE = contract.SYNERGY_FILES[0]
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"


def vouched(field: contract.Field, values: list[str]) -> set[str]:
    candidates = pa.table({"v": pa.array(values, pa.string())})  # noqa: F841 - read by DuckDB
    with duckdb.connect() as con:
        rows = con.sql(f"SELECT v FROM candidates WHERE {_fast_check_sql(field)}").fetchall()
    return {row[0] for row in rows}


def accepted(field: contract.Field, values: list[str]) -> set[str]:
    return {value for value in values if check_value(value, field, SOURCE, CTX) is None}


def random_upns(count: int) -> list[str]:
    rng = random.Random(7)
    found = set()
    while len(found) < count:
        body = (rng.choice(["201", "886", "999", "123", "420"])
                + "".join(rng.choice("0123456789") for _ in range(8))
                + rng.choice(ALPHABET + "IOSabc"))
        if rng.random() < 0.7 and body[-1] in ALPHABET:
            check = upn.calc_check_digit(body)
        else:
            check = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZa")
        found.add(check + body)
    return sorted(found) + ["", "A", "B88612345678", " B886123456789"]


def test_upn_condition_agrees_with_stdnum_exactly():
    field = contract.Field("upn", "upn")
    values = random_upns(20_000)
    canonical = [value for value in values if value == value.upper().replace(" ", "")]
    assert vouched(field, canonical) == accepted(field, canonical)
    # stdnum also accepts lower case and spaces: those go to check_value, never the reverse
    assert vouched(field, values) < accepted(field, values)
    assert len(accepted(field, values)) > 5_000  # both valid and invalid UPNs were tried


NUMBERS = ["0", "-0", "12", "-5", "+5", "1.5", ".5", "5.", "-.5", "1e3", "\u0661\u0662",
           "123456", "12345678", "\u00b2", "00000001", "1 2", "12345", "1234567", "x"]


@pytest.mark.parametrize("kind, minimum", [
    ("int", None), ("int", 0), ("decimal", None), ("decimal", 0), ("urn", None),
    ("ukprn", None),
])
def test_number_conditions_never_vouch_for_a_rejected_value(kind, minimum):
    field = contract.Field("x", kind, minimum=minimum)
    passed = vouched(field, NUMBERS)
    assert passed <= accepted(field, NUMBERS)
    assert passed  # the condition does pass the plain values


def test_kinds_without_a_fast_condition_check_every_distinct_value():
    for kind in ("date", "flag", "code", "academic_year", "text"):
        assert _fast_check_sql(contract.Field("x", kind)) is None
    assert _fast_check_sql(contract.Field("x", "int", minimum=5)) is None


def test_rows_keep_their_problems_in_row_order_with_duplicates_and_bad_values():
    source = contract.CsvSource(
        "t", "t.csv", key=("id",),
        fields=(contract.Field("id", "int", required=True), contract.Field("n", "int")),
    )
    records = [(2, ["1", "5"]), (3, ["2", "x"]), (4, ["1", "6"]), (5, ["3"]), (6, [" 4 ", ""])]
    raw = RawCsv(["id", "n"], records, "utf-8")
    checked = check_rows(raw, {"id": 0, "n": 1}, source, CTX)
    assert [(p.row_number, p.rule, p.severity) for p in checked.problems] == [
        (3, "not_an_integer", "warning"), (4, "duplicate_key", "error"),
        (5, "wrong_field_count", "error")]
    assert checked.accepted.to_pylist() == [  # n is optional: 'x' is blanked, row 3 kept
        {"id": "1", "n": "5", "_row_number": 2}, {"id": "2", "n": None, "_row_number": 3},
        {"id": "4", "n": None, "_row_number": 6}]
    assert (checked.rows_landed, checked.rows_rejected) == (5, 2)
    assert checked.rejected.to_pylist() == [{"id": "1", "n": "6", "_row_number": 4}]


@pytest.mark.parametrize("kind", ["upn", "int", "decimal", "urn", "date", "code"])
def test_an_optional_value_is_blanked_exactly_when_the_rules_reject_it(kind):
    """Column-wise checks and row rules agree on what is blanked: every value check_value
    rejects becomes NULL with one warning on its row, every other value is kept as it is,
    and no row is lost."""
    field = contract.Field("v", kind, codes=("A", "B"))
    values = {"upn": random_upns(3_000), "date": ["01/02/2024", "31/02/2024", "2024-02-29",
                                                   "2023-02-29", "1/2/2024", "soon"],
              "code": ["A", "b", "C", ""]}.get(kind, NUMBERS)
    source = contract.CsvSource("t", "t.csv", key=("id",),
                                fields=(contract.Field("id", "int", required=True), field))
    records = [(i + 2, [str(i), value]) for i, value in enumerate(values)]
    checked = check_rows(RawCsv(["id", "v"], records, "utf-8"), {"id": 0, "v": 1}, source, CTX)
    stripped = [value.strip() or None for value in values]
    rejected = {i + 2 for i, value in enumerate(stripped)
                if value is not None and check_value(value, field, source, CTX)}
    assert checked.rows_accepted == len(values) and checked.rows_rejected == 0
    assert {p.row_number for p in checked.problems} == rejected
    assert {p.severity for p in checked.problems} <= {"warning"}
    assert checked.accepted_values("v") == [
        None if i + 2 in rejected else value for i, value in enumerate(stripped)]


def test_a_upn_too_short_to_hold_an_la_number_is_reported_not_a_crash():
    """DuckDB may evaluate every term of the UPN condition: 'A' has no characters 2-4, and
    casting them stopped the whole file (a ConversionException) before TRY_CAST."""
    source = contract.CsvSource("t", "t.csv", key=("id",), fields=(
        contract.Field("id", "int", required=True), contract.Field("upn", "upn")))
    raw = RawCsv(["id", "upn"], [(2, ["1", "A"]), (3, ["2", upn.calc_check_digit(
        "886200100001") + "886200100001"])], "utf-8")
    checked = check_rows(raw, {"id": 0, "upn": 1}, source, CTX)
    assert [(p.row_number, p.rule, p.severity) for p in checked.problems] == [
        (2, "invalid_upn", "warning")]
    assert checked.rows_accepted == 2
