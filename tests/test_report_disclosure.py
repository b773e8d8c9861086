"""How the report shows figures: the release's flags decide what is hidden, a figure the report
computes is hidden with any of its inputs, and the formats; exact symbols and figures."""

import pytest

from orchestration.report.disclosure import (
    NOT_APPLICABLE_CELL,
    SUPPRESSED,
    computed_cell,
    count_cell,
    difference_of,
    money_cell,
    number_cell,
    percent_cell,
    ratio_percent,
    release_cell,
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
