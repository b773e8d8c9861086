"""How the report shows figures: the release's flags decide what is hidden, a figure the report
computes is hidden with any of its inputs, and the formats; exact symbols and figures."""

import pytest

from orchestration.report.disclosure import (
    NOT_APPLICABLE_CELL,
    SUPPRESSED,
    cells_to_suppress,
    computed_cell,
    count_cell,
    difference_of,
    money_cell,
    number_cell,
    percent_cell,
    ratio_percent,
    release_cell,
    suppress_linked,
    total_of,
)


@pytest.mark.parametrize(
    "row, shown",
    [
        ({"n": 3, "n_flag": None}, "3"),  # the release shows a 3: the report does not hide it
        ({"n": None, "n_flag": "c"}, "c"),
        ({"n": 12, "n_flag": "c"}, "c"),  # flagged: hidden whatever value is left
        ({"n": None, "n_flag": "x"}, "x"),
        ({"n": None, "n_flag": "z"}, "z"),
        ({"n": 7, "n_flag": "?"}, "c"),  # an unknown flag counts as hidden
        ({"n": None}, "x"),  # no flag column (a figure about no one), missing
        ({"n": 1234}, "1,234"),
    ],
)
def test_a_release_figure_is_hidden_exactly_when_its_flag_says_so(row, shown):
    assert release_cell(row, "n", number_cell).text == shown


def test_a_hidden_figure_carries_no_value_for_charts():
    assert release_cell({"n": None, "n_flag": "c"}, "n", number_cell).value is None
    assert release_cell({"n": 12, "n_flag": None}, "n", number_cell).value == 12.0


def test_a_computed_figure_is_hidden_when_any_input_is():
    assert computed_cell([number_cell(8), SUPPRESSED], total_of).text == "c"
    assert computed_cell([number_cell(8), number_cell(9)], total_of).text == "17"
    assert computed_cell([number_cell(8), release_cell({}, "n", number_cell)], total_of).text == "8"
    assert computed_cell([release_cell({}, "n", number_cell)], total_of).text == "x"
    assert computed_cell([number_cell(15), SUPPRESSED], difference_of).text == "c"
    assert computed_cell([number_cell(15), number_cell(16)], difference_of).text == "-1"
    assert computed_cell([number_cell(3), number_cell(0)], ratio_percent, percent_cell) == (
        NOT_APPLICABLE_CELL
    )
    assert computed_cell([number_cell(36), number_cell(41)], ratio_percent, percent_cell).text == (
        "87.8%"
    )
    assert computed_cell([SUPPRESSED], ratio_percent).value is None


def test_counts_outside_the_release_follow_the_reference_rules():
    # the appendix's children removed through cascades (seed ref_disclosure_rules: 1-4 hidden)
    assert [count_cell(n).text for n in (0, 1, 4, 5, None, 1234)] == [
        "0", "c", "c", "5", "x", "1,234"
    ]


def test_formats():
    assert money_cell(22_000_000).text == "£22,000,000"
    assert money_cell(-1500.4).text == "-£1,500"
    assert money_cell(None).text == "x"
    assert percent_cell(0.25, scale=100.0).text == "25.0%"
    assert percent_cell(87.75).text == "87.8%"
    assert number_cell(3.25, 2).text == "3.25"


# Secondary suppression of publish/publisher.py's own external tables (until the release
# engine replaces them): the report does not use it.
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
