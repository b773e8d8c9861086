"""A register year in which SRPs are commissioned but nobody is on roll keeps a whole hierarchy
in every gold table with levels: each school row has its district, area and county rows, and
each level's totals are the sum of the level below (hand-made scenario, figures by hand).

Reported once: such a year gave gold rows at school level with no district, area or county rows.
Reproduced in gold.srp_travel (its roll-ups were built from the pupils on roll only, so a year or
a district with nobody on roll had no roll-up row; its own dbt checks sums_match_county and
assert_gold_pupils_match_silver_rows then fail, which would block the nightly build). Fixed in
srp_travel.sql: every SRP also anchors its SCHOOL's district and area ('All') and the county
(each designation and 'All'), 0 pupils when none; district and area rows per designation still
exist only where the pupils live.

Schools, coordinates and the extract (1 October 2025) are tests/scenarios/srp_scenario.py's.
Covered census days (third Thursday of January): 20 January 2022 (2021/22), 19 January 2023
(2022/23), 18 January 2024 (2023/24), 16 January 2025 (2024/25). The SRP register lists the same
three SRPs each of the four years, place funding £10,000 a place:

| SRP    | urn, school              | district (area)       | designation, phase | places | top-up |
| SRP-A1 | 100001 Ashford Primary   | Ashford (South Kent)  | ASD, Primary       | 8      | 6,000  |
| SRP-M1 | 100002 Maidstone Primary | Maidstone (West Kent) | ASD, Primary       | 6      | 6,000  |
| SRP-S1 | 200001 Ashford High      | Ashford (South Kent)  | ASD, Secondary     | 10     | 7,000  |

Children (NC = NC year in 2023/24; every plan active from 2020-01-01, child 6's ceased
2024-08-31; no reviews, no returns):

| child | home (E, N km)       | NC | SRP placement (ASD)       | on roll on census day?         |
| 1     | Ashford (600, 142)   | 5  | A1 2021-09-01..2022-01-20 | 21/22: left ON census day: no  |
| 2     | Maidstone (575, 158) | 5  | M1 2021-09-01..2022-01-19 | 21/22: left the day before: no |
| 3     | Ashford (603, 144)   | 3  | A1 2022-09-01..2023-01-20 | 22/23: left the day AFTER: yes |
| 4     | Ashford (600, 146)   | 6  | A1 2023-09-01..2024-07-20 | 23/24: yes; Year 7 (2024/25)   |
|       |                      |    | then Maidstone Academy    | in a mainstream school         |
| 5     | Maidstone (579, 152) | 5  | M1 2023-09-01..2024-07-20 | 23/24: yes                     |
| 6     | Dover (612, 145)     | 8  | S1 2023-09-01..2024-07-20 | 23/24: yes (from Dover)        |
Distances: 3 -> A1 5 km, 4 -> A1 6 km, 5 -> M1 5 km, 6 -> S1 13 km.

On roll at a date (docs/DEFINITIONS.md, macro on_roll_at): entry on or before the day and no
leaving date or a leaving date AFTER it; leaving on the day itself is not on roll. So:
* 2021/22 (cases a and d): nobody on roll: child 1 left on census day, child 2 the day before.
  Were a census-day leaver on roll, 2021/22 would have one pupil (A1) instead of none.
* 2022/23 (cases c and d): one pupil, child 3 (left the day after census day) at A1 in Ashford;
  Maidstone's only SRP, M1, is empty: Maidstone and West Kent keep their rows with 0.
* 2023/24 (case b, the control): one pupil in each SRP.
* 2024/25 (case a, "every pupil left"): nobody on roll; it is also the latest register year, the
  demand forecast's base year.

Per SRP (places; on roll; occupancy = on roll / places x 100, 1 dp; vacancies = places - on roll):
| year    | A1            | M1            | S1             | Ashford (A1 + S1) | county          |
| 2021/22 | 8; 0; 0.0; 8  | 6; 0; 0.0; 6  | 10; 0; 0.0; 10 | 18; 0; 0.0; 18    | 24; 0; 0.0; 24  |
| 2022/23 | 8; 1; 12.5; 7 | 6; 0; 0.0; 6  | 10; 0; 0.0; 10 | 18; 1; 5.6; 17    | 24; 1; 4.2; 23  |
| 2023/24 | 8; 1; 12.5; 7 | 6; 1; 16.7; 5 | 10; 1; 10.0; 9 | 18; 2; 11.1; 16   | 24; 3; 12.5; 21 |
| 2024/25 | as 2021/22                                                                      |
Maidstone = West Kent = M1; South Kent = Ashford (Dover has no SRP). County primary (A1 + M1):
14 places; 0, 1, 2, 0 on roll; 0.0, 7.1 (1/14), 14.3 (2/14), 0.0; vacancies 14, 13, 12, 14.

Money (srp_finance): place funding £10,000 x places (A1 80,000, M1 60,000, S1 100,000; Ashford
180,000; county 240,000) + top-up rate x pupils on roll: 2022/23 A1 6,000; 2023/24 A1 6,000, M1
6,000, S1 7,000 (Ashford 13,000, county 19,000); none in 2021/22 and 2024/25.

Travel (srp_travel, roll-ups by HOME district): 2022/23 child 3 (Ashford, 5 km at A1); 2023/24
child 4 (Ashford, 6 km), 5 (Maidstone, 5 km), 6 (Dover, 13 km to S1 in Ashford: another
district). South Kent 2023/24 = [6, 13]: mean 9.5, median 9.5, p90 6 + 0.9 x 7 = 12.3; county
[5, 6, 13]: mean 8.0, median 6.0, p90 (position 1.8) 6 + 0.8 x 7 = 11.6, 1 of 3 from another
district (0.3333). Years and districts with nobody on roll: 0 pupils, distances and shares null.

Returns (srp_returns_reconciliation): every SRP school expected, none returned (missing 1 each);
Synergy pupils at the SRP at any time in the year: 2021/22 A1 1 (child 1), M1 1 (child 2);
2022/23 A1 1 (child 3); 2023/24 one each; 2024/25 none.

Pathways: transfer years 2021/22, 2022/23 and 2023/24 (the next census day covered). Year 6 in a
primary SRP: only child 4 (2023/24, Ashford), to Maidstone Academy in 2024/25: mainstream.
Secondary places in the entry year: S1's 10 (Ashford): Year 7 places 2.0. Cohort 0 (2021/22,
2022/23): gap -2.0; 2023/24: 1 - 2.0 = -1.0. Maidstone has no Year 6 pupil and no secondary
SRP, so no row (pathways are by home district and secondary supply).
Forecast: base 2024/25 (nobody on roll): no cohort, so projected demand 0.0 each of 2025/26 to
2029/30; Ashford ASD has 1 observed transfer (< 5): county ASD rate 0 of 1 = 0.0; places S1 10
carried forward: Year 7 places 2.0, shortfall -2.0, at Ashford, South Kent and Kent.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from tests.scenarios import srp_scenario
from tests.test_gold_srp_exact import assert_table, table

Y21, Y22, Y23, Y24 = YEARS = ("2021/22", "2022/23", "2023/24", "2024/25")
A1, M1, S1, ACADEMY = srp_scenario.P1, srp_scenario.P2, srp_scenario.S1, srp_scenario.MAINSTREAM
_ = None  # a measure with no value (null)

REGISTER = [
    ("SRP-A1", A1, "ASD", "Primary", 8, 6000),
    ("SRP-M1", M1, "ASD", "Primary", 6, 6000),
    ("SRP-S1", S1, "ASD", "Secondary", 10, 7000),
]
# person_id, NC year in 2023/24, home district, easting, northing
CHILDREN = [
    (1, 5, "Ashford", 600000, 142000),
    (2, 5, "Maidstone", 575000, 158000),
    (3, 3, "Ashford", 603000, 144000),
    (4, 6, "Ashford", 600000, 146000),
    (5, 5, "Maidstone", 579000, 152000),
    (6, 8, "Dover", 612000, 145000),
]
PLANS = [(10, 1, "2020-01-01", None, None), (20, 2, "2020-01-01", None, None),
         (30, 3, "2020-01-01", None, None), (40, 4, "2020-01-01", None, None),
         (50, 5, "2020-01-01", None, None), (60, 6, "2020-01-01", "2024-08-31", "2")]
# placement_id, plan_id, urn, sen_setting, entry, leaving, resourced provision, srp designation
PLACEMENTS = [
    (101, 10, A1, None, "2021-09-01", "2022-01-20", "Y", "ASD"),  # leaves ON census day
    (201, 20, M1, None, "2021-09-01", "2022-01-19", "Y", "ASD"),  # leaves the day before
    (301, 30, A1, None, "2022-09-01", "2023-01-20", "Y", "ASD"),  # leaves the day after
    (401, 40, A1, None, "2023-09-01", "2024-07-20", "Y", "ASD"),
    (402, 40, ACADEMY, None, "2024-09-02", None, "N", None),
    (501, 50, M1, None, "2023-09-01", "2024-07-20", "Y", "ASD"),
    (601, 60, S1, None, "2023-09-01", "2024-07-20", "Y", "ASD"),
]

SRP_TABLES = ("srp_places", "srp_travel", "srp_finance", "srp_kpis", "srp_returns_reconciliation",
              "phase_transfer_pathways", "srp_demand_forecast")
EHCP_TABLES = ("ehcp_caseload_profile", "ehcp_placement_by_age", "ehcp_timeliness")


def write_scenario(con: duckdb.DuckDBPyConnection) -> None:
    srp_scenario.write_schools(con)  # bronze schema, the extract, GIAS and the base register
    con.execute("DELETE FROM bronze.srp_register")  # this scenario's register, four years
    con.executemany(
        "INSERT INTO bronze.srp_register (srp_id, urn, designation, phase, commissioned_places, "
        "top_up_gbp, academic_year, place_funding_gbp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[str(v) for v in r + (year, 10000)] for year in YEARS for r in REGISTER])
    srp_scenario.write_children(con, CHILDREN, PLANS, PLACEMENTS)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("year_without_pupils"), write_scenario,
                                  SRP_TABLES + EHCP_TABLES)


def rows(warehouse: Path, name: str, columns: tuple[str, ...], where: str = "true") -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            f"select {', '.join(columns)} from gold.{name} where {where}").fetchall()
    return [dict(zip(columns, r)) for r in found]


def hierarchy_problems(found: list[dict], period: str, categories: tuple[str, ...],
                       measures: tuple[str, ...], school_rolls_up: bool = True) -> list:
    """What breaks the hierarchy: a row whose district, area or county row (same period and
    categories) is missing, or a level total that is not the sum of the level below.
    `school_rolls_up` False: school rows stand outside the hierarchy (travel: roll-ups by home);
    they must still find their school's district and area ('All') and county rows, and the
    county's totals equal the school rows' sums."""
    index = {(r["level"], r["level_key"], r[period], *(r[c] for c in categories)): r
             for r in found}
    assert len(index) == len(found), "duplicate keys"
    parents = {"school": (("district", "district"), ("area", "area"), ("county", None)),
               "district": (("area", "area"), ("county", None)), "area": (("county", None),)}
    county = {r["level_key"] for r in found if r["level"] == "county"} or {"Kent"}
    problems = []
    for r in found:
        cats = tuple(r[c] for c in categories)
        for level, column in parents.get(r["level"], ()):
            key = r[column] if column else next(iter(county))
            wanted = [cats]
            if r["level"] == "school" and not school_rolls_up and level != "county":
                wanted = [tuple("All" for _ in categories)]
            for want in wanted:
                if (level, key, r[period], *want) not in index:
                    problems.append(("missing", level, key, r[period], want, "for", r["level"],
                                     r["level_key"]))
    # sums: each roll-up row = the sum of the rows of the level below that fall in it
    below = {"district": "school", "area": "district", "county": "area"}
    for (level, key, per, *cats), parent in index.items():
        child_level = below.get(level)
        if child_level is None or (child_level == "school" and not school_rolls_up) or not any(
                c["level"] == child_level for c in found):  # pathways, forecast, EHCP: no school
            continue
        link = {"district": "district", "area": "area", "county": None}[level]
        totals = defaultdict(int)
        for c in found:
            if c["level"] != child_level or c[period] != per:
                continue
            if link and c[link] != key:
                continue
            if not all(cv == pv or (pv == "All" and child_level == "school")
                       for cv, pv in zip((c[x] for x in categories), cats)):
                continue
            for m in measures:
                totals[m] += c[m] or 0
        for m in measures:
            if (parent[m] or 0) != totals[m]:
                problems.append(("sum", level, key, per, tuple(cats), m, parent[m], totals[m]))
    if not school_rolls_up:  # the county is every pupil, wherever they live
        for (level, key, per, *cats), parent in index.items():
            if level != "county":
                continue
            for m in measures:
                total = sum(c[m] or 0 for c in found if c["level"] == "school"
                            and c[period] == per and all(
                                pv in ("All", c[x]) for x, pv in zip(categories, cats)))
                if (parent[m] or 0) != total:
                    problems.append(("school sum", per, tuple(cats), m, parent[m], total))
    return problems


GEO = ("level", "level_key", "area", "district")


# ---------------------------------------------------------------------------------------
# Every gold model with levels is checked here
# ---------------------------------------------------------------------------------------
def test_every_gold_model_with_levels_is_listed(warehouse):
    gold = {p.stem for p in (DBT_PROJECT_DIR / "models" / "gold").rglob("*.sql")}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        with_level = {t for (t,) in con.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'gold' and column_name = 'level'").fetchall()}
    assert gold == set(SRP_TABLES + EHCP_TABLES) == with_level


# ---------------------------------------------------------------------------------------
# The hierarchy, table by table, every year of the scenario
# ---------------------------------------------------------------------------------------
HIERARCHIES = {
    # table: (period, categories, additive measures, school rows roll up)
    "srp_places": ("academic_year", ("phase", "designation"),
                   ("srp_count", "commissioned_places", "pupils_on_roll", "vacancies",
                    "over_subscription", "sen_unit_pupils_on_roll", "ceased_plan_placements"),
                   True),
    "srp_finance": ("academic_year", ("designation",),
                    ("srp_count", "commissioned_places", "pupils_on_roll",
                     "council_place_funding_gbp", "council_top_up_gbp", "council_funding_gbp"),
                    True),
    "srp_kpis": ("academic_year", (), ("srp_schools", "commissioned_places", "pupils_on_roll",
                                       "annual_reviews_due", "annual_reviews_on_time"), True),
    "srp_returns_reconciliation": ("academic_year", (),
                                   ("returns_expected", "returns_missing", "synergy_pupils"),
                                   True),
    "srp_travel": ("academic_year", ("designation",),
                   ("pupils_on_roll", "pupils_with_known_distance", "pupils_from_other_district",
                    "pupils_distance_unknown"), False),
    "phase_transfer_pathways": ("transfer_year", ("designation",),
                                ("year6_pupils", "continuing_to_secondary_srp", "to_mainstream",
                                 "secondary_srp_places"), True),
    "srp_demand_forecast": ("forecast_year", ("designation",),
                            ("primary_srp_pupils", "secondary_srp_places"), True),
    "ehcp_placement_by_age": ("academic_year", ("age", "placement_category"), ("holders",), True),
    "ehcp_caseload_profile": ("academic_year", ("dimension", "category"), ("holders",), True),
}
# the home-district breakdown has no district rows (a district is its own home district)
WHERE = {"ehcp_caseload_profile": "dimension <> 'home_district'"}


@pytest.mark.parametrize("name", sorted(HIERARCHIES))
def test_every_year_has_a_whole_hierarchy(warehouse, name):
    period, categories, measures, school_rolls_up = HIERARCHIES[name]
    found = rows(warehouse, name, GEO + (period,) + categories + measures, WHERE.get(name, "true"))
    assert found
    assert hierarchy_problems(found, period, categories, measures, school_rolls_up) == []
    if any(r["level"] == "school" for r in found):  # every register year, from school to county
        for year in YEARS:
            assert {r["level"] for r in found if r[period] == year} == {
                "school", "district", "area", "county"}, year


def test_ehcp_timeliness_levels_add_up(warehouse):
    """Calendar years, by the child's home district: no SRP register behind it, but the same
    district -> area -> county structure."""
    measures = ("requests_received", "plans_issued")
    found = rows(warehouse, "ehcp_timeliness", GEO + ("calendar_year",) + measures)
    assert found
    assert hierarchy_problems(found, "calendar_year", (), measures) == []


# ---------------------------------------------------------------------------------------
# srp_places: every row, every year
# ---------------------------------------------------------------------------------------
PLACES_KEYS = ("level", "level_key", "academic_year", "phase", "designation")
PLACES_MEASURES = ("srp_count", "commissioned_places", "pupils_on_roll", "pupils_on_roll_returned",
                   "occupancy_pct", "vacancies", "over_subscription", "sen_unit_pupils_on_roll",
                   "ceased_plan_placements")


def _p(count, places, on_roll, occupancy, vacancies):
    return (count, places, on_roll, _, occupancy, vacancies, 0, 0, 0)


def _places_year(year, a1, m1, s1, ashford, primary, county):
    """One year's rows: A1 and S1 are Ashford's (South Kent), M1 Maidstone's (West Kent)."""
    rows_ = {("school", A1, "Primary", "ASD"): a1, ("school", M1, "Primary", "ASD"): m1,
             ("school", S1, "Secondary", "ASD"): s1}
    for level, key in (("district", "Ashford"), ("area", "South Kent")):
        rows_ |= {(level, key, "Primary", "ASD"): a1, (level, key, "Primary", "All"): a1,
                  (level, key, "Secondary", "ASD"): s1, (level, key, "Secondary", "All"): s1,
                  (level, key, "All", "ASD"): ashford, (level, key, "All", "All"): ashford}
    for level, key in (("district", "Maidstone"), ("area", "West Kent")):
        rows_ |= {(level, key, phase, designation): m1
                  for phase, designation in (("Primary", "ASD"), ("Primary", "All"),
                                             ("All", "ASD"), ("All", "All"))}
    rows_ |= {("county", "Kent", "Primary", "ASD"): primary,
              ("county", "Kent", "Primary", "All"): primary,
              ("county", "Kent", "Secondary", "ASD"): s1,
              ("county", "Kent", "Secondary", "All"): s1,
              ("county", "Kent", "All", "ASD"): county, ("county", "Kent", "All", "All"): county}
    return {(level, key, year, phase, designation): v
            for (level, key, phase, designation), v in rows_.items()}


EMPTY_A1, EMPTY_M1, EMPTY_S1 = _p(1, 8, 0, 0.0, 8), _p(1, 6, 0, 0.0, 6), _p(1, 10, 0, 0.0, 10)
EMPTY_ASHFORD, EMPTY_PRIMARY, EMPTY_COUNTY = (_p(2, 18, 0, 0.0, 18), _p(2, 14, 0, 0.0, 14),
                                              _p(3, 24, 0, 0.0, 24))
A1_ONE = _p(1, 8, 1, 12.5, 7)
EXPECTED_PLACES = {
    **_places_year(Y21, EMPTY_A1, EMPTY_M1, EMPTY_S1, EMPTY_ASHFORD, EMPTY_PRIMARY, EMPTY_COUNTY),
    **_places_year(Y22, A1_ONE, EMPTY_M1, EMPTY_S1, _p(2, 18, 1, 5.6, 17), _p(2, 14, 1, 7.1, 13),
                   _p(3, 24, 1, 4.2, 23)),
    **_places_year(Y23, A1_ONE, _p(1, 6, 1, 16.7, 5), _p(1, 10, 1, 10.0, 9),
                   _p(2, 18, 2, 11.1, 16), _p(2, 14, 2, 14.3, 12), _p(3, 24, 3, 12.5, 21)),
    **_places_year(Y24, EMPTY_A1, EMPTY_M1, EMPTY_S1, EMPTY_ASHFORD, EMPTY_PRIMARY, EMPTY_COUNTY),
}


def test_srp_places(warehouse):
    assert_table(table(warehouse, "srp_places", PLACES_KEYS, PLACES_MEASURES), EXPECTED_PLACES,
                 PLACES_MEASURES)


# ---------------------------------------------------------------------------------------
# srp_travel: school rows per SRP; roll-ups by home, plus the SRPs' own district and area
# ('All') and the county, 0 pupils when nobody is on roll
# ---------------------------------------------------------------------------------------
TRAVEL_KEYS = ("level", "level_key", "academic_year", "designation")
TRAVEL_MEASURES = ("pupils_on_roll", "pupils_with_known_distance", "mean_distance_km",
                   "median_distance_km", "p90_distance_km", "pupils_from_other_district",
                   "from_other_district_share", "pupils_distance_unknown",
                   "distance_unknown_share")
NOBODY = (0, 0, _, _, _, 0, _, 0, _)


def _one(km, other=0):
    return (1, 1, km, km, km, other, float(other), 0, 0.0)


def _empty_travel(year):
    return {("school", A1, year, "ASD"): NOBODY, ("school", M1, year, "ASD"): NOBODY,
            ("school", S1, year, "ASD"): NOBODY,
            ("district", "Ashford", year, "All"): NOBODY,
            ("district", "Maidstone", year, "All"): NOBODY,
            ("area", "South Kent", year, "All"): NOBODY,
            ("area", "West Kent", year, "All"): NOBODY,
            ("county", "Kent", year, "ASD"): NOBODY, ("county", "Kent", year, "All"): NOBODY}


EXPECTED_TRAVEL = {
    **_empty_travel(Y21),
    # case c: child 3 at A1; Maidstone (M1 empty) keeps its 'All' rows
    **_empty_travel(Y22),
    **{("school", A1, Y22, "ASD"): _one(5.0)},
    **{(level, key, Y22, d): _one(5.0) for level, key in (("district", "Ashford"),
                                                           ("area", "South Kent"),
                                                           ("county", "Kent"))
       for d in ("ASD", "All")},
    # the control: one pupil in each SRP
    ("school", A1, Y23, "ASD"): _one(6.0),
    ("school", M1, Y23, "ASD"): _one(5.0),
    ("school", S1, Y23, "ASD"): _one(13.0, 1),
    **{("district", key, Y23, d): v for key, v in (("Ashford", _one(6.0)),
                                                    ("Maidstone", _one(5.0)),
                                                    ("Dover", _one(13.0, 1)))
       for d in ("ASD", "All")},
    **{("area", "South Kent", Y23, d): (2, 2, 9.5, 9.5, 12.3, 1, 0.5, 0, 0.0)
       for d in ("ASD", "All")},
    **{("area", "West Kent", Y23, d): _one(5.0) for d in ("ASD", "All")},
    **{("county", "Kent", Y23, d): (3, 3, 8.0, 6.0, 11.6, 1, 0.3333, 0, 0.0)
       for d in ("ASD", "All")},
    **_empty_travel(Y24),
}


def test_srp_travel(warehouse):
    assert_table(table(warehouse, "srp_travel", TRAVEL_KEYS, TRAVEL_MEASURES), EXPECTED_TRAVEL,
                 TRAVEL_MEASURES)


# ---------------------------------------------------------------------------------------
# srp_finance, srp_kpis, srp_returns_reconciliation: the measures about places and pupils
# ---------------------------------------------------------------------------------------
FINANCE_MEASURES = ("srp_count", "commissioned_places", "pupils_on_roll",
                    "council_place_funding_gbp", "council_top_up_gbp", "council_funding_gbp")


def _by_school_geography(year, a1, m1, s1, ashford, county, designations=("ASD", "All")):
    """Rows of a table rolled up by the SCHOOL's district: (level, key, year, *designation)."""
    found = {("school", A1, year): a1, ("school", M1, year): m1, ("school", S1, year): s1}
    for level, key, v in (("district", "Ashford", ashford), ("area", "South Kent", ashford),
                          ("district", "Maidstone", m1), ("area", "West Kent", m1),
                          ("county", "Kent", county)):
        found[(level, key, year)] = v
    if not designations:
        return found
    return {(k + (d,)): v for k, v in found.items()
            for d in (("ASD",) if k[0] == "school" else designations)}


def _f(count, places, on_roll, top_up):
    return (count, places, on_roll, places * 10000, top_up, places * 10000 + top_up)


EMPTY_FINANCE = (_f(1, 8, 0, 0), _f(1, 6, 0, 0), _f(1, 10, 0, 0), _f(2, 18, 0, 0),
                 _f(3, 24, 0, 0))
EXPECTED_FINANCE = {
    **_by_school_geography(Y21, *EMPTY_FINANCE),
    **_by_school_geography(Y22, _f(1, 8, 1, 6000), _f(1, 6, 0, 0), _f(1, 10, 0, 0),
                           _f(2, 18, 1, 6000), _f(3, 24, 1, 6000)),
    **_by_school_geography(Y23, _f(1, 8, 1, 6000), _f(1, 6, 1, 6000), _f(1, 10, 1, 7000),
                           _f(2, 18, 2, 13000), _f(3, 24, 3, 19000)),
    **_by_school_geography(Y24, *EMPTY_FINANCE),
}


def test_srp_finance(warehouse):
    found = table(warehouse, "srp_finance", TRAVEL_KEYS, FINANCE_MEASURES)
    assert_table(found, EXPECTED_FINANCE, FINANCE_MEASURES)


KPI_MEASURES = ("srp_schools", "commissioned_places", "pupils_on_roll", "occupancy_pct")
EMPTY_KPIS = ((1, 8, 0, 0.0), (1, 6, 0, 0.0), (1, 10, 0, 0.0), (2, 18, 0, 0.0), (3, 24, 0, 0.0))
EXPECTED_KPIS = {
    **_by_school_geography(Y21, *EMPTY_KPIS, designations=()),
    **_by_school_geography(Y22, (1, 8, 1, 12.5), (1, 6, 0, 0.0), (1, 10, 0, 0.0),
                           (2, 18, 1, 5.6), (3, 24, 1, 4.2), designations=()),
    **_by_school_geography(Y23, (1, 8, 1, 12.5), (1, 6, 1, 16.7), (1, 10, 1, 10.0),
                           (2, 18, 2, 11.1), (3, 24, 3, 12.5), designations=()),
    **_by_school_geography(Y24, *EMPTY_KPIS, designations=()),
}


def test_srp_kpis(warehouse):
    found = table(warehouse, "srp_kpis", ("level", "level_key", "academic_year"), KPI_MEASURES)
    assert_table(found, EXPECTED_KPIS, KPI_MEASURES)


RECONCILIATION_MEASURES = ("returns_expected", "returns_missing", "synergy_pupils")
EXPECTED_RECONCILIATION = {
    **_by_school_geography(Y21, (1, 1, 1), (1, 1, 1), (1, 1, 0), (2, 2, 1), (3, 3, 2),
                           designations=()),
    **_by_school_geography(Y22, (1, 1, 1), (1, 1, 0), (1, 1, 0), (2, 2, 1), (3, 3, 1),
                           designations=()),
    **_by_school_geography(Y23, (1, 1, 1), (1, 1, 1), (1, 1, 1), (2, 2, 2), (3, 3, 3),
                           designations=()),
    **_by_school_geography(Y24, (1, 1, 0), (1, 1, 0), (1, 1, 0), (2, 2, 0), (3, 3, 0),
                           designations=()),
}


def test_srp_returns_reconciliation(warehouse):
    found = table(warehouse, "srp_returns_reconciliation", ("level", "level_key", "academic_year"),
                  RECONCILIATION_MEASURES)
    assert_table(found, EXPECTED_RECONCILIATION, RECONCILIATION_MEASURES)


# ---------------------------------------------------------------------------------------
# phase_transfer_pathways and srp_demand_forecast (home district; secondary places by the
# school's district: S1's 10 in Ashford)
# ---------------------------------------------------------------------------------------
ASHFORD_ROLLUPS = (("district", "Ashford"), ("area", "South Kent"), ("county", "Kent"))
PATHWAY_MEASURES = ("year6_pupils", "to_mainstream", "continuing_to_secondary_srp",
                    "secondary_srp_places", "year7_places", "year7_places_gap")
EXPECTED_PATHWAYS = {
    (year, level, key, d): v
    for year, v in ((Y21, (0, 0, 0, 10, 2.0, -2.0)), (Y22, (0, 0, 0, 10, 2.0, -2.0)),
                    (Y23, (1, 1, 0, 10, 2.0, -1.0)))
    for level, key in ASHFORD_ROLLUPS for d in ("ASD", "All")
}


def test_phase_transfer_pathways(warehouse):
    found = table(warehouse, "phase_transfer_pathways",
                  ("transfer_year", "level", "level_key", "designation"), PATHWAY_MEASURES)
    assert_table(found, EXPECTED_PATHWAYS, PATHWAY_MEASURES)


FORECAST_MEASURES = ("years_ahead", "base_census_year", "primary_srp_pupils", "transfers_observed",
                     "rate_source", "continuation_rate_share", "projected_year7_demand",
                     "secondary_srp_places", "year7_places", "year7_shortfall")
FUTURE = ("2025/26", "2026/27", "2027/28", "2028/29", "2029/30")
EXPECTED_FORECAST = {
    (year, level, key, d): (ahead + 1, Y24, 0)
    + ((1, "county", 0.0) if (level, d) == ("district", "ASD") else (_, _, _))
    + (0.0, 10, 2.0, -2.0)
    for ahead, year in enumerate(FUTURE) for level, key in ASHFORD_ROLLUPS
    for d in ("ASD", "All")
}


def test_srp_demand_forecast(warehouse):
    found = table(warehouse, "srp_demand_forecast",
                  ("forecast_year", "level", "level_key", "designation"), FORECAST_MEASURES)
    assert_table(found, EXPECTED_FORECAST, FORECAST_MEASURES)
