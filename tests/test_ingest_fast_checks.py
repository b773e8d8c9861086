"""Each value rule in validate.py is defined once, and the column-wise rules agree exactly
with the definitions they stand for.

Format rules (numbers, URN, UKPRN, UPN) are DuckDB expressions over a column of distinct values;
the others Python functions of one value. The UPN rule must agree with python-stdnum (its public
``validate``) on every value, and say which part is wrong exactly as stdnum's exception does.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest
from stdnum import exceptions
from stdnum.gb import upn

from orchestration import contract
from orchestration.ingest import validate
from orchestration.ingest.csv_reader import RawCsv
from orchestration.ingest.validate import Context, check_rows, check_value, check_values

CTX = Context("test.csv")
SOURCE = contract.SYNERGY_FILES[0]
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ0123456789"


def accepted(field: contract.Field, values: list[str]) -> set[str]:
    return set(values) - set(check_values(values, field, SOURCE, CTX))


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
        value = check + body
        if rng.random() < 0.1:
            value = value.lower()
        if rng.random() < 0.1:
            value = value[:4] + " " + value[4:]
        found.add(value)
    return sorted(found) + ["A", "B88612345678", "B8861234567 89", "E000200005001",
                            "X80120000A001", "b801200005001"]


STDNUM_VARIANT = {exceptions.InvalidLength: "length", exceptions.InvalidFormat: "default",
                  exceptions.InvalidComponent: "component", exceptions.InvalidChecksum: "checksum"}


def stdnum_verdict(value: str):
    try:
        upn.validate(value)
    except exceptions.ValidationError as error:
        return "invalid_upn", validate.what("invalid_upn", STDNUM_VARIANT[type(error)])
    return None


def test_upn_rule_agrees_with_stdnum_exactly():
    field = contract.Field("upn", "upn")
    values = random_upns(20_000)
    broken = check_values(values, field, SOURCE, CTX)
    assert {value: stdnum_verdict(value) for value in values if stdnum_verdict(value)} == broken
    assert 5_000 < len(broken) < 15_000  # both valid and invalid UPNs were tried
    assert {what for _, what in broken.values()} == {  # every part of the rule was met
        validate.what("invalid_upn", variant) for variant in STDNUM_VARIANT.values()}


def test_the_upn_la_numbers_are_stdnums_asked_publicly():
    assert len(validate.upn_la_numbers()) > 150
    assert 886 in validate.upn_la_numbers() and 0 not in validate.upn_la_numbers()


def test_validate_imports_nothing_private():
    """No ``from x import _y`` and no ``module._name`` of another package (python-stdnum's
    LA numbers were read from its private ``_la_numbers``)."""
    tree = ast.parse(Path(validate.__file__).read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name.split(".")[0]
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    private = [ast.unparse(node) for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_")
               and not node.attr.startswith("__")
               and isinstance(node.value, ast.Name) and node.value.id in imported]
    private += [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names if alias.name.startswith("_")]
    assert private == []


def test_every_kind_has_exactly_one_rule():
    kinds = {f.kind for source in contract.SYNERGY_FILES + (
        contract.GIAS, contract.SRP_REGISTER, contract.DFE_SEN2_MI) for f in source.fields}
    assert not validate.COLUMN_RULES.keys() & validate.VALUE_RULES.keys()
    assert kinds - {"text"} <= validate.COLUMN_RULES.keys() | validate.VALUE_RULES.keys()


NUMBERS = ["0", "-0", "12", "-5", "+5", "1.5", ".5", "5.", "-.5", "1e3", "\u0661\u0662",
           "123456", "12345678", "\u00b2", "00000001", "1 2", "12345", "1234567", "x",
           "2147483647", "2147483648", "-2147483647", "-2147483648", "00000000002147483647",
           "1" * 22 + ".5", "1" * 23, "-" + "9" * 22]
# Worked out from the contract's rules, one value at a time (ASCII digits only: what the
# warehouse's casts read; an Arabic-Indic '\u0661\u0662' would become NULL in silver)
BROKEN = {
    ("int", None): {"1.5": "not_an_integer", ".5": "not_an_integer", "5.": "not_an_integer",
                    "-.5": "not_an_integer", "1e3": "not_an_integer",
                    "\u0661\u0662": "not_an_integer", "\u00b2": "not_an_integer",
                    "1 2": "not_an_integer", "x": "not_an_integer",
                    "2147483648": "out_of_range", "-2147483648": "out_of_range",
                    "1" * 22 + ".5": "not_an_integer", "1" * 23: "out_of_range",
                    "-" + "9" * 22: "out_of_range"},
    ("decimal", 0): {"-5": "negative_value", "-.5": "negative_value", "1e3": "not_a_number",
                     "\u0661\u0662": "not_a_number", "\u00b2": "not_a_number",
                     "1 2": "not_a_number", "x": "not_a_number", "-2147483647": "negative_value",
                     "-2147483648": "negative_value", "1" * 23: "out_of_range",
                     "-" + "9" * 22: "negative_value"},
    ("int", 5): {"0": "below_minimum", "-0": "below_minimum", "-5": "below_minimum",
                 "+5": None, "00000001": "below_minimum", "-2147483647": "below_minimum"},
}


@pytest.mark.parametrize("kind, minimum", list(BROKEN))
def test_number_rules_give_the_worked_out_verdicts(kind, minimum):
    field = contract.Field("x", kind, minimum=minimum)
    found = {value: rule for value, (rule, _) in check_values(NUMBERS, field, SOURCE, CTX).items()}
    expected = dict(BROKEN[kind, minimum])
    if minimum == 5:  # the int rules first, then the minimum
        expected = {**BROKEN["int", None], **expected}
        expected = {value: rule for value, rule in expected.items() if rule}
    assert found == expected


def test_urn_and_ukprn_are_ascii_digits_of_their_length():
    values = ["123456", "12345", "1234567", "12345678", "\u0661\u0662\u0663\u0664\u0665\u0666",
              "12345a"]
    assert accepted(contract.Field("x", "urn"), values) == {"123456"}
    assert accepted(contract.Field("x", "ukprn"), values) == {"12345678"}


def test_rules_are_worded_from_the_catalogue():
    assert check_value("-3", contract.Field("x", "int", minimum=2), SOURCE, CTX) == (
        "below_minimum", "is below the minimum of 2")
    assert check_value("Q", contract.Field("x", "code", codes=("A", "B")), SOURCE, CTX) == (
        "unknown_code", "is not one of the allowed codes: A, B")


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
    broken = check_values([v for v in stripped if v is not None], field, source, CTX)
    rejected = {i + 2 for i, value in enumerate(stripped) if value in broken}
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
