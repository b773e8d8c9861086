"""The disclosure audit (orchestration/disclosure/audit.py) on small hand-made releases.

Every expected interval is worked out by hand in the test's docstring. Tables are built by
`table()`: inner cells plus row totals, column totals and a grand total, all shown unless named
in `hidden`, with every row and column relation a reader knows.
"""

from __future__ import annotations

import math

import pytest

from orchestration.disclosure.audit import (
    Cell,
    Interval,
    LinearRelation,
    Protection,
    Relation,
    Release,
    ReleaseError,
    audit,
)


def audit_both(release: Release, **kwargs):
    """The audit's exact result (every interval solved by LP), after checking that the default,
    faster mode (subtraction first, stop at proof of protection) finds the same cells with the
    same intervals."""
    exact = audit(release, exact_intervals=True, **kwargs)
    fast = audit(release, **kwargs)
    assert [(f.cell_id, f.interval, f.by_subtraction) for f in fast.unprotected] == \
        [(f.cell_id, f.interval, f.by_subtraction) for f in exact.unprotected]
    for cell_id, interval in fast.intervals.items():
        true_interval = exact.intervals[cell_id]
        assert true_interval.lower <= interval.lower and interval.upper <= true_interval.upper
        if interval.complete:
            assert (interval.lower, interval.upper) == (true_interval.lower, true_interval.upper)
    return exact


def cid(row: str, col: str) -> str:
    return f"srp_places|level=district|key={row}|year=2024/25|designation={col}|column=pupils_on_roll"


def table(values: dict[tuple[str, str], int], hidden: set[tuple[str, str]]) -> Release:
    """A rows x columns table with its totals ('All' row and column); relations: each row and
    each column sums to its total, and both margins sum to the grand total."""
    rows = sorted({r for r, _ in values})
    cols = sorted({c for _, c in values})
    cells = [Cell(cid(r, c), v, (r, c) in hidden) for (r, c), v in values.items()]
    relations = []
    for r in rows:
        cells.append(Cell(cid(r, "All"), sum(values[r, c] for c in cols), False))
        relations.append(Relation(cid(r, "All"), tuple(cid(r, c) for c in cols)))
    for c in cols:
        cells.append(Cell(cid("All", c), sum(values[r, c] for r in rows), False))
        relations.append(Relation(cid("All", c), tuple(cid(r, c) for r in rows)))
    cells.append(Cell(cid("All", "All"), sum(values.values()), False))
    relations.append(Relation(cid("All", "All"), tuple(cid(r, "All") for r in rows)))
    relations.append(Relation(cid("All", "All"), tuple(cid("All", c) for c in cols)))
    return Release.of(cells, relations)


def square(a: int, b: int, c: int, d: int) -> Release:
    """Dover/Thanet x ASD/SLCN with all four inner cells hidden:

        a (Dover ASD)   b (Dover SLCN)
        c (Thanet ASD)  d (Thanet SLCN)

    Margins are shown, so a reader can move t around the square: a+t, b-t, c-t, d+t, all >= 0.
    Hence a in [a - min(a, d), a + min(b, c)], b in [b - min(b, c), b + min(a, d)],
    c in [c - min(b, c), c + min(a, d)], d in [d - min(a, d), d + min(b, c)]."""
    values = {("Dover", "ASD"): a, ("Dover", "SLCN"): b, ("Thanet", "ASD"): c, ("Thanet", "SLCN"): d}
    return table(values, hidden=set(values))


def phases(primary: int, secondary: int, hidden: set[str]) -> Release:
    """Dover All phases = Primary + Secondary, one relation; cells named in `hidden` hidden."""
    parts = {"Primary": primary, "Secondary": secondary}
    cells = [Cell(cid("Dover", phase), value, phase in hidden) for phase, value in parts.items()]
    cells.append(Cell(cid("Dover", "All"), primary + secondary, False))
    return Release.of(cells, [Relation(cid("Dover", "All"), (cid("Dover", "Primary"), cid("Dover", "Secondary")))])


def interval_of(result, row: str, col: str) -> tuple[float, float]:
    interval = result.intervals[cid(row, col)]
    return interval.lower, interval.upper


def unprotected_ids(result) -> set[str]:
    return {finding.cell_id for finding in result.unprotected}


def test_issue_example_folkestone_secondary_is_recovered_and_named():
    """Folkestone and Hythe 2020/21: All phases 43 and Primary 28 shown, Secondary hidden.
    43 - 28 = 15: the audit names the cell with interval [15, 15], found by subtraction, and the
    LP agrees."""
    all_id = "srp_places|level=district|key=Folkestone and Hythe|year=2020/21|phase=All|column=pupils_on_roll"
    primary_id = all_id.replace("phase=All", "phase=Primary")
    secondary_id = all_id.replace("phase=All", "phase=Secondary")
    release = Release.of(
        [Cell(all_id, 43, False), Cell(primary_id, 28, False), Cell(secondary_id, 15, True)],
        [Relation(all_id, (primary_id, secondary_id))],
    )

    result = audit(release)

    assert not result.passed
    [finding] = result.unprotected
    assert finding.cell_id == secondary_id
    assert (finding.interval.lower, finding.interval.upper) == (15, 15)
    assert finding.by_subtraction
    assert result.lps_solved == 0
    assert secondary_id in result.summary()
    exact = audit(release, exact_intervals=True)
    assert exact.lps_solved == 2  # min and max, both 15: the LP agrees with subtraction
    assert exact.intervals[secondary_id] == Interval(15, 15)


def test_one_recoverable_cell_among_protected_ones_is_the_only_one_named():
    """Dover ASD 12 = River 3 (hidden) + Sandwich 9 (shown): River = 12 - 9 = 3, recoverable.
    Dover SLCN 7 = River 3 (hidden) + Sandwich 4 (hidden): each in [0, 7], includes 0: protected."""
    def school(name: str, designation: str) -> str:
        return f"srp_places|level=school|key={name}|designation={designation}|column=pupils_on_roll"
    cells = [Cell(school("Dover", "ASD"), 12, False), Cell(school("River", "ASD"), 3, True),
             Cell(school("Sandwich", "ASD"), 9, False), Cell(school("Dover", "SLCN"), 7, False),
             Cell(school("River", "SLCN"), 3, True), Cell(school("Sandwich", "SLCN"), 4, True)]
    relations = [Relation(school("Dover", "ASD"), (school("River", "ASD"), school("Sandwich", "ASD"))),
                 Relation(school("Dover", "SLCN"), (school("River", "SLCN"), school("Sandwich", "SLCN")))]

    result = audit_both(Release.of(cells, relations))

    assert unprotected_ids(result) == {school("River", "ASD")}
    assert result.intervals[school("River", "ASD")] == Interval(3, 3)
    assert result.intervals[school("River", "SLCN")] == Interval(0, 7)
    assert result.intervals[school("Sandwich", "SLCN")] == Interval(0, 7)


def test_two_hidden_cells_in_one_relation_are_protected_by_zero():
    """All 7 = Primary 3 (hidden) + Secondary 4 (hidden). Either can be 0..7: [0, 7] each,
    includes 0 (and reaches 5): protected."""
    result = audit_both(phases(primary=3, secondary=4, hidden={"Primary", "Secondary"}))

    assert result.passed
    assert interval_of(result, "Dover", "Primary") == (0, 7)
    assert interval_of(result, "Dover", "Secondary") == (0, 7)


def test_four_hidden_cells_in_a_square_are_protected():
    """a=2, b=3, c=4, d=1 (see `square`): a in [2-1, 2+3] = [1, 5], b in [3-3, 3+1] = [0, 4],
    c in [4-3, 4+1] = [1, 5], d in [1-1, 1+3] = [0, 4]. a and c are protected only because 5
    reaches 5; b and d because they include 0."""
    result = audit_both(square(a=2, b=3, c=4, d=1))

    assert result.passed, result.summary()
    assert interval_of(result, "Dover", "ASD") == (1, 5)
    assert interval_of(result, "Dover", "SLCN") == (0, 4)
    assert interval_of(result, "Thanet", "ASD") == (1, 5)
    assert interval_of(result, "Thanet", "SLCN") == (0, 4)
    assert result.components == 1


def test_three_hidden_cells_of_the_square_are_not_protected():
    """Same table, d=1 shown. Thanet: c = 5 - 1 = 4 and SLCN: b = 4 - 1 = 3 by subtraction;
    then Dover: a = 5 - 3 = 2 by a second subtraction (at first Dover and ASD each had two hidden
    cells)."""
    values = {("Dover", "ASD"): 2, ("Dover", "SLCN"): 3, ("Thanet", "ASD"): 4, ("Thanet", "SLCN"): 1}
    result = audit_both(table(values, hidden={("Dover", "ASD"), ("Dover", "SLCN"), ("Thanet", "ASD")}))

    findings = {f.cell_id: (f.interval.lower, f.interval.upper, f.by_subtraction) for f in result.unprotected}
    assert findings == {cid("Dover", "ASD"): (2, 2, True),
                        cid("Dover", "SLCN"): (3, 3, True),
                        cid("Thanet", "ASD"): (4, 4, True)}


def test_only_the_lp_catches_two_relations_that_pin_a_cell_together():
    """Dover 2023/24 x (hidden, 3) and 2024/25 y (hidden, 4); shown: the two-year total 7 = x + y
    and the change +1 = y - x. Each relation has two hidden cells, so subtraction finds nothing,
    but together x = (7 - 1) / 2 = 3 and y = 4."""
    x, y = "dover|year=2023/24", "dover|year=2024/25"
    release = Release.of(
        [Cell(x, 3, True), Cell(y, 4, True), Cell("dover|two_years", 7, False), Cell("dover|change", 1, False,
                                                                                  lower=-math.inf)],
        [Relation("dover|two_years", (x, y)), LinearRelation.of({"dover|change": 1, y: -1, x: 1})],
    )

    result = audit_both(release)

    findings = {f.cell_id: (f.interval.lower, f.interval.upper, f.by_subtraction) for f in result.unprotected}
    assert findings == {x: (3, 3, False), y: (4, 4, False)}


def test_only_the_lp_catches_a_square_narrowed_by_non_negativity():
    """a=3, b=1, c=2, d=1: a in [3 - min(3, 1), 3 + min(1, 2)] = [2, 4]: a reader knows Dover ASD
    is 2, 3 or 4. c in [2 - 1, 2 + 1] = [1, 3]. b in [0, 2], d in [0, 2]: protected."""
    result = audit_both(square(a=3, b=1, c=2, d=1))

    assert interval_of(result, "Dover", "ASD") == (2, 4)
    assert interval_of(result, "Thanet", "ASD") == (1, 3)
    assert interval_of(result, "Dover", "SLCN") == (0, 2)
    assert unprotected_ids(result) == {cid("Dover", "ASD"), cid("Thanet", "ASD")}
    assert not any(f.by_subtraction for f in result.unprotected)


def test_upper_bound_exactly_five_is_protected():
    """a=3, b=2, c=2, d=1: a in [3 - 1, 3 + 2] = [2, 5]: reaches 5, protected (the rule is
    upper >= 5). c in [0, 3], b in [0, 3], d in [0, 3]."""
    result = audit_both(square(a=3, b=2, c=2, d=1))

    assert interval_of(result, "Dover", "ASD") == (2, 5)
    assert result.passed, result.summary()


def test_upper_bound_exactly_four_is_not_protected():
    """a=3, b=1, c=2, d=1: a in [2, 4] (see the LP-only test): 1-4 and never 0: not protected."""
    result = audit_both(square(a=3, b=1, c=2, d=1))

    assert interval_of(result, "Dover", "ASD") == (2, 4)
    assert cid("Dover", "ASD") in unprotected_ids(result)


def test_lower_bound_exactly_zero_is_protected():
    """a=2, b=1, c=1, d=2: a in [2 - 2, 2 + 1] = [0, 3]: includes 0, protected although it never
    reaches 5. Same for b, c in [0, 3] and d in [0, 3]."""
    result = audit_both(square(a=2, b=1, c=1, d=2))

    assert interval_of(result, "Dover", "ASD") == (0, 3)
    assert interval_of(result, "Thanet", "SLCN") == (0, 3)
    assert result.passed, result.summary()


def test_exactly_determined_zero_is_flagged_although_zero_is_in_its_interval():
    """All 5 = Primary 5 (shown) + Secondary 0 (hidden): Secondary is exactly 0, [0, 0]."""
    result = audit(phases(primary=5, secondary=0, hidden={"Secondary"}))

    assert [(f.cell_id, f.interval) for f in result.unprotected] == [(cid("Dover", "Secondary"), Interval(0, 0))]


def test_pupils_over_places_hidden_next_to_its_bases_is_recovered():
    """Reader-found leak: Sandwich Primary over places (hidden) = on roll 12 - places 10 = 2."""
    over, roll, places = "sandwich|over_places", "sandwich|pupils_on_roll", "sandwich|places"
    release = Release.of([Cell(over, 2, True), Cell(roll, 12, False), Cell(places, 10, False)],
                         [LinearRelation.of({over: 1, roll: -1, places: 1}, label="over = roll - places")])

    result = audit(release)

    assert [(f.cell_id, f.interval, f.by_subtraction) for f in result.unprotected] == [(over, Interval(2, 2), True)]


def test_a_stricter_protection_rule_is_configurable():
    """The square a=2, b=1, c=1, d=2 passes the default rule (all [0, 3]); with a rule that asks
    for an upper bound of 10 and does not accept 0 (zero=-1), every cell fails."""
    result = audit_both(square(a=2, b=1, c=1, d=2), protection=Protection(min_upper=10, zero=-1))

    assert len(result.unprotected) == 4


def test_hidden_cell_in_no_relation_is_unbounded_and_components_without_hidden_cells_are_dropped():
    """A hidden cell nothing relates to is in [0, inf). The Folkestone-like relation has no hidden
    cell: it is checked but forms no component."""
    release = Release.of([Cell("lonely", 3, True), Cell("t", 5, False), Cell("p1", 2, False), Cell("p2", 3, False)],
                         [Relation("t", ("p1", "p2"))])

    result = audit(release)

    assert result.passed
    assert result.intervals["lonely"] == Interval(0, math.inf)
    assert (result.cells_hidden, result.relations_checked, result.components, result.lps_solved) == (1, 1, 0, 0)


def test_metadata_carries_the_appendix_figures():
    """Square a=3, b=1, c=2, d=1 (intervals [2, 4], [0, 2], [1, 3], [0, 2]): 4 hidden of 9
    cells, 6 relations (2 rows, 2 columns, 2 for the grand total), 1 component; the narrowest
    interval has width 2 (several do; ties go to the first id in order)."""
    metadata = audit_both(square(a=3, b=1, c=2, d=1)).metadata()

    assert metadata["cells"] == 9
    assert metadata["cells_hidden"] == 4
    assert metadata["relations_checked"] == 6
    assert metadata["components"] == 1
    assert metadata["unprotected_cells"] == 2
    assert metadata["narrowest_interval_width"] == 2
    assert metadata["narrowest_interval_cell"] == cid("Dover", "ASD")


def test_a_relation_that_does_not_hold_is_rejected_without_its_values():
    release = Release.of([Cell("t", 10, False), Cell("p1", 3, True), Cell("p2", 4, False)],
                         [Relation("t", ("p1", "p2"))])

    with pytest.raises(ReleaseError, match="t = sum of 2 parts does not hold") as raised:
        audit(release)
    assert "3" not in str(raised.value) and "10" not in str(raised.value)


def test_a_relation_naming_an_unknown_cell_is_rejected():
    with pytest.raises(ReleaseError, match="not in the release: \\['p9'\\]"):
        audit(Release.of([Cell("t", 1, False)], [Relation("t", ("p9",))]))


def test_a_count_is_a_whole_number_so_its_lp_interval_is_rounded_inward():
    """Full-time equivalent 0.5 (shown) = full-time (hidden, 0) + 0.5 x part-time (hidden, 1).
    The LP allows full-time anywhere in [0, 0.5], but a reader knows it is a whole number of
    pupils, so it is exactly 0: flagged. Part-time is in [0, 1]: protected. Marked as not whole,
    full-time stays [0, 0.5] and passes."""
    def release(integer: bool) -> Release:
        return Release.of([Cell("fte", 0.5, False, integer=False), Cell("full_time", 0, True, integer=integer),
                           Cell("part_time", 1, True, integer=integer)],
                          [LinearRelation.of({"fte": 1, "full_time": -1, "part_time": -0.5})])

    counts = audit_both(release(integer=True))
    assert [(f.cell_id, f.interval) for f in counts.unprotected] == [("full_time", Interval(0, 0))]
    assert counts.intervals["part_time"] == Interval(0, 1)

    fractions = audit_both(release(integer=False))
    assert fractions.passed
    assert fractions.intervals["full_time"] == Interval(0, 0.5)


def test_a_bound_a_reader_knows_narrows_the_other_cells():
    """Dover All 5 = Primary 2 (hidden) + Secondary 3 (hidden), and a reader knows Secondary is
    at most 3 (say, its commissioned places). Secondary in [0, 3]; Primary = 5 - Secondary in
    [2, 5]: both protected (0 in one, 5 reached by the other)."""
    release = Release.of([Cell("all", 5, False), Cell("primary", 2, True), Cell("secondary", 3, True, upper=3)],
                         [Relation("all", ("primary", "secondary"))])

    result = audit_both(release)

    assert result.intervals["primary"] == Interval(2, 5)
    assert result.intervals["secondary"] == Interval(0, 3)
    assert result.passed


def brute_force_intervals(values: dict[tuple[str, str], int], hidden: list[tuple[str, str]]) -> dict:
    """Every whole-number assignment of the hidden cells that keeps every row and column total:
    the least and greatest value each hidden cell takes. Independent of the LP."""
    import itertools
    rows = {r for r, _ in values}
    cols = {c for _, c in values}
    row_total = {r: sum(v for (rr, _), v in values.items() if rr == r) for r in rows}
    col_total = {c: sum(v for (_, cc), v in values.items() if cc == c) for c in cols}
    seen: dict = {cell: [] for cell in hidden}
    for guess in itertools.product(*(range(row_total[r] + 1) for r, _ in hidden)):
        trial = dict(values) | dict(zip(hidden, guess))
        if all(sum(trial[r, c] for c in cols) == row_total[r] for r in rows) and \
                all(sum(trial[r, c] for r in rows) == col_total[c] for c in cols):
            for cell, value in zip(hidden, guess):
                seen[cell].append(value)
    return {cell: (min(found), max(found)) for cell, found in seen.items()}


def test_intervals_match_a_brute_force_search_on_random_small_tables():
    """40 random 3 x 3 tables (values 0-4, 2-4 hidden cells, seed 7): every interval the audit
    reports, in both modes, equals the least and greatest whole-number value found by trying
    every assignment of the hidden cells."""
    import random
    rng = random.Random(7)
    names = [(r, c) for r in ("Dover", "Thanet", "Swale") for c in ("ASD", "SLCN", "SEMH")]
    for _ in range(40):
        values = {cell: rng.randint(0, 4) for cell in names}
        hidden = rng.sample(names, rng.randint(2, 4))
        expected = brute_force_intervals(values, hidden)

        result = audit_both(table(values, set(hidden)))

        assert {cell: interval_of(result, *cell) for cell in hidden} == expected, (values, hidden)
