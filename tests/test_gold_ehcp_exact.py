"""The EHCP gold tables, figure by figure, on a hand-built scenario (tests/scenarios/ehcp_scenario.py).

The scenario is written straight into bronze, `dbt build` runs the EHCP tables and everything
upstream (with their dbt tests), and every row and measure of the three tables is compared with
figures worked out by hand from the scenario's list of children. Expected tables are written as
literal rows; a key like ``Ashford & South Kent`` means the same row is expected for the district
and for its area (each of the two areas holds one of the two districts).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.scenarios.ehcp_scenario import write_bronze
from tests.conftest import run_dbt

SELECT = "+ehcp_caseload_profile +ehcp_placement_by_age +ehcp_timeliness"

AREA_OF = {"Ashford": "South Kent", "Thanet": "East Kent"}
CENSUS = {"2022/23": dt.date(2023, 1, 19), "2023/24": dt.date(2024, 1, 18)}
NULL = None


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ehcp_exact")
    path = root / "warehouse.duckdb"
    landing = root / "landing"
    landing.mkdir()
    (landing / "SAMPLE_DATA.json").write_text("{}")  # allows the development pseudonym key
    with duckdb.connect(str(path)) as con:
        write_bronze(con)
    result = run_dbt(
        # cautious: run only tests whose every parent is built here (not, say, a test that
        # joins an SRP table this partial build leaves out)
        root, "build", "--select", *SELECT.split(), "--indirect-selection", "cautious",
        env={**os.environ, "SEND_LANDING_DIR": str(landing)},
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return path


def fetch(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in rows]


def parse(block: str) -> list[list]:
    """Literal rows 'a | b | 3 | 0.5 | -' -> values ('-' = NULL, numbers as numbers)."""
    def value(text: str):
        text = text.strip()
        if text == "-":
            return None
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text
    return [[value(cell) for cell in line.split("|")]
            for line in block.strip().splitlines() if line.strip()]


def level_rows(key: str) -> list[tuple]:
    """'Kent' -> county; 'South Kent' -> that area; 'Ashford & South Kent' -> the district
    and its area (same figures)."""
    if key == "Kent":
        return [("county", "Kent", None, None)]
    district, area = key.split(" & ") if " & " in key else (None, key)
    rows = [("area", area, area, None)]
    if district:
        assert AREA_OF[district] == area
        rows.insert(0, ("district", district, area, district))
    return rows


# ------------------------------------------------------------------------------------------
# gold.ehcp_caseload_profile
# year | level key | dimension | category | holders | share | requests | share | plans | share
# ------------------------------------------------------------------------------------------
PROFILE = """
2022/23 | Kent | age_band | 5 to 10  | 4 | 0.5   | 4 | 0.6667 | 4 | 0.8
2022/23 | Kent | age_band | 11 to 15 | 3 | 0.375 | 0 | 0.0    | 0 | 0.0
2022/23 | Kent | age_band | 16 to 19 | 1 | 0.125 | 0 | 0.0    | 0 | 0.0
2022/23 | Kent | age_band | Under 5  | 0 | 0.0   | 2 | 0.3333 | 1 | 0.2
2022/23 | Kent | sex | M | 4 | 0.5 | 5 | 0.8333 | 3 | 0.6
2022/23 | Kent | sex | F | 4 | 0.5 | 1 | 0.1667 | 2 | 0.4
2022/23 | Kent | ethnicity_group | White | 6 | 0.75 | 4 | 0.6667 | 4 | 0.8
2022/23 | Kent | ethnicity_group | Mixed | 2 | 0.25 | 2 | 0.3333 | 1 | 0.2
2022/23 | Kent | primary_need | ASD          | 4 | 0.5   | - | - | - | -
2022/23 | Kent | primary_need | SEMH         | 3 | 0.375 | - | - | - | -
2022/23 | Kent | primary_need | Not recorded | 1 | 0.125 | - | - | - | -
2022/23 | Kent | placement_category | Mainstream school           | 5 | 0.625 | - | - | - | -
2022/23 | Kent | placement_category | State-funded special school | 3 | 0.375 | - | - | - | -
2022/23 | Kent | home_district | Ashford | 3 | 0.375 | 3 | 0.5 | 2 | 0.4
2022/23 | Kent | home_district | Thanet  | 5 | 0.625 | 3 | 0.5 | 3 | 0.6

2022/23 | Ashford & South Kent | age_band | 5 to 10  | 1 | 0.3333 | 1 | 0.3333 | 1 | 0.5
2022/23 | Ashford & South Kent | age_band | 11 to 15 | 2 | 0.6667 | 0 | 0.0    | 0 | 0.0
2022/23 | Ashford & South Kent | age_band | Under 5  | 0 | 0.0    | 2 | 0.6667 | 1 | 0.5
2022/23 | Ashford & South Kent | sex | M | 2 | 0.6667 | 3 | 1.0 | 2 | 1.0
2022/23 | Ashford & South Kent | sex | F | 1 | 0.3333 | 0 | 0.0 | 0 | 0.0
2022/23 | Ashford & South Kent | ethnicity_group | White | 3 | 1.0 | 2 | 0.6667 | 2 | 1.0
2022/23 | Ashford & South Kent | ethnicity_group | Mixed | 0 | 0.0 | 1 | 0.3333 | 0 | 0.0
2022/23 | Ashford & South Kent | primary_need | ASD  | 2 | 0.6667 | - | - | - | -
2022/23 | Ashford & South Kent | primary_need | SEMH | 1 | 0.3333 | - | - | - | -
2022/23 | Ashford & South Kent | placement_category | Mainstream school | 3 | 1.0 | - | - | - | -
2022/23 | South Kent | home_district | Ashford | 3 | 1.0 | 3 | 1.0 | 2 | 1.0

2022/23 | Thanet & East Kent | age_band | 5 to 10  | 3 | 0.6 | 3 | 1.0 | 3 | 1.0
2022/23 | Thanet & East Kent | age_band | 11 to 15 | 1 | 0.2 | 0 | 0.0 | 0 | 0.0
2022/23 | Thanet & East Kent | age_band | 16 to 19 | 1 | 0.2 | 0 | 0.0 | 0 | 0.0
2022/23 | Thanet & East Kent | sex | M | 2 | 0.4 | 2 | 0.6667 | 1 | 0.3333
2022/23 | Thanet & East Kent | sex | F | 3 | 0.6 | 1 | 0.3333 | 2 | 0.6667
2022/23 | Thanet & East Kent | ethnicity_group | White | 3 | 0.6 | 2 | 0.6667 | 2 | 0.6667
2022/23 | Thanet & East Kent | ethnicity_group | Mixed | 2 | 0.4 | 1 | 0.3333 | 1 | 0.3333
2022/23 | Thanet & East Kent | primary_need | ASD          | 2 | 0.4 | - | - | - | -
2022/23 | Thanet & East Kent | primary_need | SEMH         | 2 | 0.4 | - | - | - | -
2022/23 | Thanet & East Kent | primary_need | Not recorded | 1 | 0.2 | - | - | - | -
2022/23 | Thanet & East Kent | placement_category | Mainstream school           | 2 | 0.4 | - | - | - | -
2022/23 | Thanet & East Kent | placement_category | State-funded special school | 3 | 0.6 | - | - | - | -
2022/23 | East Kent | home_district | Thanet | 5 | 1.0 | 3 | 1.0 | 3 | 1.0

2023/24 | Kent | age_band | 11 to 15 | 6 | 0.6 | 0 | 0.0    | 0 | 0.0
2023/24 | Kent | age_band | 5 to 10  | 4 | 0.4 | 2 | 0.6667 | 1 | 1.0
2023/24 | Kent | age_band | Under 5  | 0 | 0.0 | 1 | 0.3333 | 0 | 0.0
2023/24 | Kent | sex | M | 6 | 0.6 | 1 | 0.3333 | 0 | 0.0
2023/24 | Kent | sex | F | 4 | 0.4 | 2 | 0.6667 | 1 | 1.0
2023/24 | Kent | ethnicity_group | White | 7 | 0.7 | 3 | 1.0 | 1 | 1.0
2023/24 | Kent | ethnicity_group | Mixed | 3 | 0.3 | 0 | 0.0 | 0 | 0.0
2023/24 | Kent | primary_need | ASD          | 6 | 0.6 | - | - | - | -
2023/24 | Kent | primary_need | SEMH         | 3 | 0.3 | - | - | - | -
2023/24 | Kent | primary_need | Not recorded | 1 | 0.1 | - | - | - | -
2023/24 | Kent | placement_category | Mainstream school                            | 5 | 0.5 | - | - | - | -
2023/24 | Kent | placement_category | State-funded special school                  | 4 | 0.4 | - | - | - | -
2023/24 | Kent | placement_category | Independent or non-maintained special school | 1 | 0.1 | - | - | - | -
2023/24 | Kent | home_district | Ashford | 5 | 0.5 | 1 | 0.3333 | 1 | 1.0
2023/24 | Kent | home_district | Thanet  | 5 | 0.5 | 2 | 0.6667 | 0 | 0.0

2023/24 | Ashford & South Kent | age_band | 11 to 15 | 3 | 0.6 | 0 | 0.0 | 0 | 0.0
2023/24 | Ashford & South Kent | age_band | 5 to 10  | 2 | 0.4 | 1 | 1.0 | 1 | 1.0
2023/24 | Ashford & South Kent | sex | M | 4 | 0.8 | 0 | 0.0 | 0 | 0.0
2023/24 | Ashford & South Kent | sex | F | 1 | 0.2 | 1 | 1.0 | 1 | 1.0
2023/24 | Ashford & South Kent | ethnicity_group | White | 5 | 1.0 | 1 | 1.0 | 1 | 1.0
2023/24 | Ashford & South Kent | primary_need | ASD  | 4 | 0.8 | - | - | - | -
2023/24 | Ashford & South Kent | primary_need | SEMH | 1 | 0.2 | - | - | - | -
2023/24 | Ashford & South Kent | placement_category | Mainstream school                            | 3 | 0.6 | - | - | - | -
2023/24 | Ashford & South Kent | placement_category | State-funded special school                  | 1 | 0.2 | - | - | - | -
2023/24 | Ashford & South Kent | placement_category | Independent or non-maintained special school | 1 | 0.2 | - | - | - | -
2023/24 | South Kent | home_district | Ashford | 5 | 1.0 | 1 | 1.0 | 1 | 1.0

2023/24 | Thanet & East Kent | age_band | 11 to 15 | 3 | 0.6 | 0 | 0.0 | 0 | -
2023/24 | Thanet & East Kent | age_band | 5 to 10  | 2 | 0.4 | 1 | 0.5 | 0 | -
2023/24 | Thanet & East Kent | age_band | Under 5  | 0 | 0.0 | 1 | 0.5 | 0 | -
2023/24 | Thanet & East Kent | sex | M | 2 | 0.4 | 1 | 0.5 | 0 | -
2023/24 | Thanet & East Kent | sex | F | 3 | 0.6 | 1 | 0.5 | 0 | -
2023/24 | Thanet & East Kent | ethnicity_group | White | 2 | 0.4 | 2 | 1.0 | 0 | -
2023/24 | Thanet & East Kent | ethnicity_group | Mixed | 3 | 0.6 | 0 | 0.0 | 0 | -
2023/24 | Thanet & East Kent | primary_need | ASD          | 2 | 0.4 | - | - | - | -
2023/24 | Thanet & East Kent | primary_need | SEMH         | 2 | 0.4 | - | - | - | -
2023/24 | Thanet & East Kent | primary_need | Not recorded | 1 | 0.2 | - | - | - | -
2023/24 | Thanet & East Kent | placement_category | Mainstream school           | 2 | 0.4 | - | - | - | -
2023/24 | Thanet & East Kent | placement_category | State-funded special school | 3 | 0.6 | - | - | - | -
2023/24 | East Kent | home_district | Thanet | 5 | 1.0 | 2 | 1.0 | 0 | -
"""

# dimension | category | national holders % | Kent holders % | Kent requests % | Kent plans issued %
# (seed ref_national_comparators and Kent's councils/886-kent.toml; every other row has all four NULL)
COMPARATORS = """
sex | M | 72.4 | 72.05 | 64.67 | 66.7
sex | F | -    | 27.95 | 35.32 | 33.32
ethnicity_group | White | 72.38 | 72.98 | 81.42 | -
ethnicity_group | Mixed | 6.76  | 2.54  | -     | -
"""


def expected_profile() -> set[tuple]:
    comparators = {(d, c): tuple(rest) for d, c, *rest in parse(COMPARATORS)}
    rows = set()
    for year, key, dimension, category, *measures in parse(PROFILE):
        for level, level_key, area, district in level_rows(key):
            rows.add((level, level_key, year, CENSUS[year], area, district, dimension,
                      category, *measures,
                      *comparators.get((dimension, category), (None,) * 4)))
    return rows


def test_caseload_profile_every_row_and_measure(warehouse):
    actual = fetch(warehouse, """
        select level, level_key, academic_year, census_date, area, district, dimension,
               category, holders, holders_share, requests_received, requests_share,
               plans_issued, plans_issued_share, national_holders_pct,
               la_published_holders_pct, la_published_requests_pct,
               la_published_plans_issued_pct
        from gold.ehcp_caseload_profile""")
    assert len(actual) == len(set(actual))
    expected = expected_profile()
    assert set(actual) - expected == set()
    assert expected - set(actual) == set()


# ------------------------------------------------------------------------------------------
# gold.ehcp_placement_by_age
# year | level key | age | age band | placement category | holders | holders at age | share
# ------------------------------------------------------------------------------------------
PLACEMENT_BY_AGE = """
2022/23 | Kent | 9  | 5 to 10  | State-funded special school | 1 | 1 | 1.0
2022/23 | Kent | 10 | 5 to 10  | Mainstream school           | 2 | 3 | 0.6667
2022/23 | Kent | 10 | 5 to 10  | State-funded special school | 1 | 3 | 0.3333
2022/23 | Kent | 11 | 11 to 15 | Mainstream school           | 3 | 3 | 1.0
2022/23 | Kent | 16 | 16 to 19 | State-funded special school | 1 | 1 | 1.0
2022/23 | Ashford & South Kent | 10 | 5 to 10  | Mainstream school | 1 | 1 | 1.0
2022/23 | Ashford & South Kent | 11 | 11 to 15 | Mainstream school | 2 | 2 | 1.0
2022/23 | Thanet & East Kent | 9  | 5 to 10  | State-funded special school | 1 | 1 | 1.0
2022/23 | Thanet & East Kent | 10 | 5 to 10  | Mainstream school           | 1 | 2 | 0.5
2022/23 | Thanet & East Kent | 10 | 5 to 10  | State-funded special school | 1 | 2 | 0.5
2022/23 | Thanet & East Kent | 11 | 11 to 15 | Mainstream school           | 1 | 1 | 1.0
2022/23 | Thanet & East Kent | 16 | 16 to 19 | State-funded special school | 1 | 1 | 1.0
2023/24 | Kent | 5  | 5 to 10  | Mainstream school                            | 1 | 1 | 1.0
2023/24 | Kent | 7  | 5 to 10  | State-funded special school                  | 1 | 1 | 1.0
2023/24 | Kent | 8  | 5 to 10  | Mainstream school                            | 1 | 1 | 1.0
2023/24 | Kent | 10 | 5 to 10  | State-funded special school                  | 1 | 1 | 1.0
2023/24 | Kent | 11 | 11 to 15 | Mainstream school                            | 2 | 3 | 0.6667
2023/24 | Kent | 11 | 11 to 15 | State-funded special school                  | 1 | 3 | 0.3333
2023/24 | Kent | 12 | 11 to 15 | Mainstream school                            | 1 | 3 | 0.3333
2023/24 | Kent | 12 | 11 to 15 | State-funded special school                  | 1 | 3 | 0.3333
2023/24 | Kent | 12 | 11 to 15 | Independent or non-maintained special school | 1 | 3 | 0.3333
2023/24 | Ashford & South Kent | 5  | 5 to 10  | Mainstream school                            | 1 | 1 | 1.0
2023/24 | Ashford & South Kent | 8  | 5 to 10  | Mainstream school                            | 1 | 1 | 1.0
2023/24 | Ashford & South Kent | 11 | 11 to 15 | Mainstream school                            | 1 | 1 | 1.0
2023/24 | Ashford & South Kent | 12 | 11 to 15 | State-funded special school                  | 1 | 2 | 0.5
2023/24 | Ashford & South Kent | 12 | 11 to 15 | Independent or non-maintained special school | 1 | 2 | 0.5
2023/24 | Thanet & East Kent | 7  | 5 to 10  | State-funded special school | 1 | 1 | 1.0
2023/24 | Thanet & East Kent | 10 | 5 to 10  | State-funded special school | 1 | 1 | 1.0
2023/24 | Thanet & East Kent | 11 | 11 to 15 | Mainstream school           | 1 | 2 | 0.5
2023/24 | Thanet & East Kent | 11 | 11 to 15 | State-funded special school | 1 | 2 | 0.5
2023/24 | Thanet & East Kent | 12 | 11 to 15 | Mainstream school           | 1 | 1 | 1.0
"""


def test_placement_by_age_every_row_and_measure(warehouse):
    actual = fetch(warehouse, """
        select level, level_key, academic_year, census_date, area, district, age, age_band,
               placement_category, holders, holders_at_age, holders_share
        from gold.ehcp_placement_by_age""")
    expected = {
        (level, level_key, year, CENSUS[year], area, district, *rest)
        for year, key, *rest in parse(PLACEMENT_BY_AGE)
        for level, level_key, area, district in level_rows(key)
    }
    assert len(actual) == len(set(actual))
    assert set(actual) - expected == set()
    assert expected - set(actual) == set()


# ------------------------------------------------------------------------------------------
# gold.ehcp_timeliness (Synergy measures)
# year | level key | requests | decided | refused | refused % | issued | within 20 wk | % |
#   issued excl. exceptions | within 20 wk excl. | % | review census day | due | in time | %
# ------------------------------------------------------------------------------------------
TIMELINESS = """
2015 | Kent | - | - | - | -    | - | - | -     | - | - | -     | -          | - | - | -
2022 | Kent | 6 | 5 | 1 | 20.0 | 1 | 1 | 100.0 | 1 | 1 | 100.0 | -          | - | - | -
2023 | Kent | 5 | 5 | 1 | 20.0 | 4 | 2 | 50.0  | 3 | 2 | 66.7  | 2023-01-19 | 0 | 0 | -
2024 | Kent | 1 | 0 | 0 | -    | 1 | 1 | 100.0 | 1 | 1 | 100.0 | 2024-01-18 | 7 | 5 | 71.4
2022 | Ashford & South Kent | 4 | 3 | 1 | 33.3 | 0 | 0 | -     | 0 | 0 | -     | -          | - | - | -
2023 | Ashford & South Kent | 2 | 2 | 0 | 0.0  | 2 | 1 | 50.0  | 2 | 1 | 50.0  | 2023-01-19 | 0 | 0 | -
2024 | Ashford & South Kent | 0 | 0 | 0 | -    | 1 | 1 | 100.0 | 1 | 1 | 100.0 | 2024-01-18 | 3 | 2 | 66.7
2022 | Thanet & East Kent  | 2 | 2 | 0 | 0.0  | 1 | 1 | 100.0 | 1 | 1 | 100.0 | -          | - | - | -
2023 | Thanet & East Kent  | 3 | 3 | 1 | 33.3 | 2 | 1 | 50.0  | 1 | 1 | 100.0 | 2023-01-19 | 0 | 0 | -
2024 | Thanet & East Kent  | 1 | 0 | 0 | -    | 0 | 0 | -     | 0 | 0 | -     | 2024-01-18 | 4 | 3 | 75.0
"""

# DfE's published figures for the year, on every row of that year (other years: all NULL), per
# geography: requests | refused % | symbol | plans issued | within 20 weeks % | symbol |
#   within 20 weeks excluding exceptions % | symbol
DFE = """
2015 | la         | -      | -       | - | -     | -      | - | -      | -
2015 | region     | -      | -       | - | -     | -      | - | -      | -
2015 | england    | -      | -       | z | 24624 | 54.6   | - | 59.2   | -
2022 | la         | 3669   | 26.8466 | - | 2216  | 40.93  | - | 41.128 | -
2022 | region     | 19060  | 22.6758 | - | 11027 | 44.835 | - | 45.782 | -
2022 | england    | 114482 | 22.0602 | - | 65512 | 47.665 | - | 49.166 | -
"""
DFE_GEOGRAPHIES = ("la", "region", "england")  # the council (Kent, 886), its region, England
DFE_MEASURES = ("requests_received", "requests_refused_pct", "requests_refused_pct_symbol",
                "plans_issued", "within_20_weeks_pct", "within_20_weeks_pct_symbol",
                "within_20_weeks_excl_exceptions_pct",
                "within_20_weeks_excl_exceptions_pct_symbol")


def expected_timeliness() -> set[tuple]:
    dfe: dict[int, dict[str, list]] = {}
    for year, geography, *values in parse(DFE):
        dfe.setdefault(year, {})[geography] = values
    rows = set()
    for year, key, *measures in parse(TIMELINESS):
        census = measures[10]
        measures[10] = dt.date.fromisoformat(census) if census else None
        benchmarks = [v for geo in DFE_GEOGRAPHIES
                      for v in dfe.get(year, {}).get(geo, [None] * len(DFE_MEASURES))]
        for level, level_key, area, district in level_rows(key):
            rows.add((level, level_key, year, area, district, *measures, *benchmarks))
    return rows


def test_timeliness_every_row_and_measure(warehouse):
    dfe_columns = ", ".join(f"dfe_{geo}_{m}" for geo in DFE_GEOGRAPHIES for m in DFE_MEASURES)
    actual = fetch(warehouse, f"""
        select level, level_key, calendar_year, area, district,
               requests_received, requests_decided, requests_refused, requests_refused_pct,
               plans_issued, plans_issued_within_20_weeks, within_20_weeks_pct,
               plans_issued_excl_exceptions, plans_issued_within_20_weeks_excl_exceptions,
               within_20_weeks_excl_exceptions_pct, review_census_date,
               plans_due_annual_review, reviewed_within_12_months,
               reviewed_within_12_months_pct, {dfe_columns}
        from gold.ehcp_timeliness""")
    assert len(actual) == len(set(actual))
    expected = expected_timeliness()
    assert set(actual) - expected == set()
    assert expected - set(actual) == set()


def test_dfe_silver_keeps_symbols_and_drops_superseded_rows(warehouse):
    assert fetch(warehouse, """
        select calendar_year, geographic_level, geography_name, inreq_ehc, inreq_ehc_symbol,
               ass_refused_ehc_pc, ass_refused_ehc_pc_symbol, no_exc_20week_rate
        from silver.silver_dfe_sen2_mi order by calendar_year, geography_name""") == [
        (2015, "National", "England", None, "z", None, "z", 59.2),
        (2022, "National", "England", 114482.0, None, 22.0602, None, 49.166),
        (2022, "Local authority", "Kent", 3669.0, None, 26.8466, None, 41.128),
        (2022, "Regional", "London", 12345.0, None, 12.3, None, 12.3),
        (2022, "Local authority", "Medway", 999.0, None, 9.9, None, 9.9),
        (2022, "Regional", "South East", 19060.0, None, 22.6758, None, 45.782),
    ]


def test_gold_sums_are_plain_integers(warehouse):
    types = fetch(warehouse, """
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'gold' and table_name like 'ehcp_%'
          and (data_type like '%INT%' or column_name in ('holders', 'plans_issued'))""")
    assert types and {t for _, _, t in types} == {"INTEGER"}
