"""Census-day boundaries: entry, leaving, plan start and cease on census day, the day before
and the day after, counted exactly.

The definitions (docs/DEFINITIONS.md): a placement is on roll at a date when entry_date <= date
and leaving_date is blank or > date; a plan is active when start_date <= date and cease_date is
blank or > date; an SRP pupil on roll needs both. Census day of 2024/25 is Thursday
16 January 2025 (2023/24: 18 January 2024); the extract of 1 October 2025 covers both.

The schools and register are tests/scenarios/srp_scenario.py's (P1 = Ashford Primary, ASD,
8 places; P2 = Maidstone Primary, ASD, 6 places); the children are these twelve, every one in
Year 3 in 2023/24, living in Ashford, each with one resourced-provision ASD placement (rank 1):

| child | placement at P1                  | plan                        | 2024/25 census 2025-01-16 |
| 21    | entry 2025-01-15 (day before)    | 2019-05-01, open            | on roll                   |
| 22    | entry 2025-01-16 (census day)    | 2019-05-01, open            | on roll                   |
| 23    | entry 2025-01-17 (day after)     | 2019-05-01, open            | not on roll               |
| 24    | 2024-09-01, left 2025-01-15      | 2019-05-01, open            | not on roll               |
| 25    | 2024-09-01, left 2025-01-16      | 2019-05-01, open            | not on roll               |
| 26    | 2024-09-01, left 2025-01-17      | 2019-05-01, open            | on roll                   |
| child | placement at P2                  | plan                        |                           |
| 27    | 2024-09-01, open                 | start 2025-01-15            | active, on roll           |
| 28    | 2024-09-01, open                 | start 2025-01-16            | active, on roll           |
| 29    | 2024-09-01, open                 | start 2025-01-17            | no plan: not on roll      |
| 30    | 2024-09-01, open                 | 2019-05-01, ceased 01-15    | no plan: not on roll      |
| 31    | 2024-09-01, open                 | 2019-05-01, ceased 01-16    | no plan: not on roll      |
| 32    | 2024-09-01, open                 | 2019-05-01, ceased 01-17    | active, on roll           |

So in 2024/25: P1 has 3 pupils on roll (21, 22, 26); P2 has 3 (27, 28, 32); EHC plan
holders are 21-26 (open plans) + 27, 28, 32 = 9, of whom 6 have a placement on roll (21, 22,
26 at P1; 27, 28, 32 at P2: "Mainstream school", both community schools) and 3 have none
(23, 24, 25: "No placement recorded"). In 2023/24 nobody is on roll (every placement starts
after 18 January 2024) and the holders are 21-26 and 30-32 (plans from 2019) = 9, all with
no placement recorded.

Mutants these kill: `leaving_date > at` -> `>=` (macros/parsing.sql on_roll_at) puts child 25
on roll (P1 4, mainstream 7); `cease_date > census` -> `>=` (silver_census_state.sql) makes
child 31 a holder (10 holders, mainstream 7).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.scenarios import srp_scenario
from tests.test_gold_srp_exact import table

Y23, Y24 = "2023/24", "2024/25"
P1, P2 = srp_scenario.P1, srp_scenario.P2
OPEN_PLAN = ("2019-05-01", None)
# child, placement school, entry, leaving, plan start, plan cease
CASES = [
    (21, P1, "2025-01-15", None, *OPEN_PLAN),
    (22, P1, "2025-01-16", None, *OPEN_PLAN),
    (23, P1, "2025-01-17", None, *OPEN_PLAN),
    (24, P1, "2024-09-01", "2025-01-15", *OPEN_PLAN),
    (25, P1, "2024-09-01", "2025-01-16", *OPEN_PLAN),
    (26, P1, "2024-09-01", "2025-01-17", *OPEN_PLAN),
    (27, P2, "2024-09-01", None, "2025-01-15", None),
    (28, P2, "2024-09-01", None, "2025-01-16", None),
    (29, P2, "2024-09-01", None, "2025-01-17", None),
    (30, P2, "2024-09-01", None, "2019-05-01", "2025-01-15"),
    (31, P2, "2024-09-01", None, "2019-05-01", "2025-01-16"),
    (32, P2, "2024-09-01", None, "2019-05-01", "2025-01-17"),
]


def write_boundary_scenario(con: duckdb.DuckDBPyConnection) -> None:
    srp_scenario.write_schools(con)
    srp_scenario.write_children(
        con,
        children=[(child, 3, "Ashford", None, None) for child, *_ in CASES],
        plans=[(child * 10, child, start, cease, "2" if cease else None)
               for child, _, _, _, start, cease in CASES],
        placements=[(child * 100 + 1, child * 10, urn, None, entry, leaving, "Y", "ASD")
                    for child, urn, entry, leaving, _, _ in CASES],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("census_day_boundaries"),
                                  write_boundary_scenario, ("srp_places", "ehcp_caseload_profile"))


def srp_pupils_on_roll(warehouse: Path, urn: str) -> dict[str, int]:
    found = table(warehouse, "srp_places",
                  ("level", "level_key", "academic_year", "phase", "designation"),
                  ("pupils_on_roll",))
    return {year: found[("school", urn, year, "Primary", "ASD")][0] for year in (Y23, Y24)}


def county_holders(warehouse: Path, dimension: str) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select academic_year, category, holders from gold.ehcp_caseload_profile "
            "where level = 'county' and dimension = ? and academic_year in (?, ?)",
            [dimension, Y23, Y24]).fetchall()
    return {(year, category): holders for year, category, holders in rows}


def test_srp_placement_entry_and_leaving_on_census_day(warehouse):
    # P1: entered the day before (21) and on census day (22), left the day after (26)
    assert srp_pupils_on_roll(warehouse, P1) == {Y23: 0, Y24: 3}


def test_plans_starting_and_ceasing_on_census_day(warehouse):
    # holders in 2024/25: 21-26 and the plans started the day before (27) and on census day
    # (28), or ceasing the day after (32)
    assert county_holders(warehouse, "sex") == {(Y23, "M"): 9, (Y24, "M"): 9}


def test_main_placement_on_census_day_of_each_holder(warehouse):
    assert county_holders(warehouse, "placement_category") == {
        (Y23, "No placement recorded"): 9,
        (Y24, "Mainstream school"): 6,  # 21, 22, 26, 27, 28, 32
        (Y24, "No placement recorded"): 3,  # 23 (not yet entered), 24 and 25 (left)
    }


def test_srp_pupils_need_a_plan_active_on_census_day(warehouse):
    # P2: plans started the day before (27) and on census day (28), ceasing the day after (32)
    assert srp_pupils_on_roll(warehouse, P2) == {Y23: 0, Y24: 3}
