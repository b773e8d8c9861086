"""Disclosure control of the published report: exact symbols and figures."""

import pytest

from orchestration.report.disclosure import (
    apply_to_rows,
    cells_to_suppress,
    count_cell,
    derived_cell,
    money_cell,
    suppress_count,
    suppress_linked,
    suppress_rate,
)


@pytest.mark.parametrize(
    "count, shown",
    [
        (0, "0"),
        (1, "c"),
        (2, "c"),
        (4, "c"),
        (5, "5"),
        (None, "x"),
        (1234, "1,234"),
        (4.0, "c"),
        (float("nan"), "x"),
    ],
)
def test_counts_of_one_to_four_are_confidential(count, shown):
    assert suppress_count(count) == shown


def test_a_suppressed_count_carries_no_value_for_charts():
    assert count_cell(3).value is None
    assert count_cell(12).value == 12.0
    assert count_cell(0).value == 0.0


@pytest.mark.parametrize(
    "numerator, denominator, shown",
    [
        (7, 10, "70.0%"),
        (3, 10, "c"),  # numerator of 1-4
        (0, 10, "0.0%"),  # a zero is not suppressed
        (0, 3, "c"),  # denominator of 1-4
        (4, 4, "c"),
        (5, 5, "100.0%"),
        (6, 7, "85.7%"),
        (0, 0, "z"),  # nothing to divide by
        (5, None, "x"),
        (None, 10, "x"),
    ],
)
def test_rates_on_small_counts_are_confidential(numerator, denominator, shown):
    assert suppress_rate(numerator, denominator) == shown


def test_derived_figures_follow_their_base_counts():
    assert derived_cell(3.25, [12], decimals=1, suffix=" km").text == "3.2 km"
    assert derived_cell(3.25, [3]).text == "c"
    assert derived_cell(None, [0]).text == "z"
    assert derived_cell(None, [9]).text == "x"
    assert derived_cell(8.0, [count_cell(2)]).text == "c"


def test_money_is_shown_in_full():
    assert money_cell(22_000_000).text == "£22,000,000"
    assert money_cell(-1500.4).text == "-£1,500"
    assert money_cell(None).text == "x"


def test_one_suppressed_cell_under_a_visible_total_takes_the_next_smallest_with_it():
    assert cells_to_suppress({"a": 3, "b": 10, "c": 20, "d": 0}, total=33) == {"a", "b"}


def test_no_secondary_suppression_without_a_visible_total():
    assert cells_to_suppress({"a": 3, "b": 10, "c": 20}, total=None) == {"a"}
    assert cells_to_suppress({"a": 3, "b": 0}, total=3) == {"a"}  # the total is hidden itself


def test_two_suppressed_cells_need_no_more():
    assert cells_to_suppress({"a": 3, "b": 2, "c": 20}, total=25) == {"a", "b"}


def test_ties_take_the_first_cell_and_a_zero_only_when_nothing_else_is_left():
    assert cells_to_suppress({"a": 1, "b": 7, "c": 7}, total=15) == {"a", "b"}
    assert cells_to_suppress({"z": 0, "s": 9}, total=9, already=["s"]) == {"s", "z"}


def test_a_lone_part_under_a_visible_total_hides_the_total():
    assert suppress_linked({"only": 3, "total": 3}, [(["only"], "total")]) == {"only", "total"}
    # hidden for another table, the single part would still equal its own visible total
    values = {"sec": 9, "dist": 9, "other": 2, "county": 11}
    groups = [(["sec"], "dist"), (["sec", "other"], "county")]
    assert suppress_linked(values, groups) == {"other", "sec", "dist"}


def test_linked_tables_are_protected_both_ways():
    # rows: two districts x two phases, with row and column totals
    values = {
        ("A", "pri"): 3,
        ("A", "sec"): 10,
        ("A", "all"): 13,
        ("B", "pri"): 8,
        ("B", "sec"): 12,
        ("B", "all"): 20,
        ("K", "pri"): 11,
        ("K", "sec"): 22,
        ("K", "all"): 33,
    }
    groups = [
        ([("A", "pri"), ("A", "sec")], ("A", "all")),
        ([("B", "pri"), ("B", "sec")], ("B", "all")),
        ([("A", "pri"), ("B", "pri")], ("K", "pri")),
        ([("A", "sec"), ("B", "sec")], ("K", "sec")),
    ]
    assert suppress_linked(values, groups) == {
        ("A", "pri"),
        ("A", "sec"),
        ("B", "pri"),
        ("B", "sec"),
    }


def test_apply_to_rows_with_a_total_row_and_rates():
    rows = [
        {"district": "Ashford", "pupils": 3, "occupancy_pct": 30.0},
        {"district": "Dover", "pupils": 12, "occupancy_pct": 50.0},
        {"district": "Thanet", "pupils": 7, "occupancy_pct": 70.0},
    ]
    out = apply_to_rows(
        rows,
        ["pupils"],
        {"occupancy_pct": "pupils"},
        total_row={"pupils": 22},
        units={"occupancy_pct": "%"},
    )
    assert [{k: c.text for k, c in r.items()} for r in out] == [
        {"district": "Ashford", "pupils": "c", "occupancy_pct": "c"},
        {"district": "Dover", "pupils": "12", "occupancy_pct": "50.0%"},
        {"district": "Thanet", "pupils": "c", "occupancy_pct": "c"},
    ]
    assert out[2]["pupils"].value is None


def test_apply_to_rows_protects_the_parts_of_a_row_total():
    rows = [{"cohort": 20, "to_srp": 2, "to_special": 6, "to_mainstream": 12}]
    out = apply_to_rows(
        rows,
        ["cohort", "to_srp", "to_special", "to_mainstream"],
        row_totals={"cohort": ["to_srp", "to_special", "to_mainstream"]},
    )
    assert {k: c.text for k, c in out[0].items()} == {
        "cohort": "20",
        "to_srp": "c",
        "to_special": "c",
        "to_mainstream": "12",
    }
