"""A small hand-built SRP scenario, written straight into bronze, for the exact SRP gold tests.

Three districts (Ashford and Dover in South Kent, Maidstone in West Kent), one Synergy extract
of 1 October 2025, so the covered census days are 18 January 2024 (2023/24) and 16 January
2025 (2024/25); 2025/26's census day (15 January 2026) is not covered. The register lists the
same four SRPs in both years. Coordinates are British National Grid metres; every distance
is a whole number of km (3-4-5 and 5-12-13 triangles). Every child is born on 15 March, so the
NC year in the academic year starting in September Y is Y - (birth year + 4).
The expected figures in tests/test_gold_srp_exact.py are worked out by hand from this list.

Schools (GIAS)
| urn    | school            | type                    | district  | E, N (km)  |
| 100001 | Ashford Primary   | Community school        | Ashford   | 600, 140   |
| 100002 | Maidstone Primary | Community school        | Maidstone | 575, 155   |
| 200001 | Ashford High      | Academy converter       | Ashford   | 600, 150   |
| 300001 | Dover Special     | Community special school| Dover     | 630, 140   |
| 400001 | Maidstone Academy | Academy converter       | Maidstone | 575, 160   |

SRP register (2023/24 and 2024/25 alike; place funding £10,000 a place)
| SRP      | urn    | designation | phase     | places | top-up |
| SRP-P1   | 100001 | ASD         | Primary   | 8      | 6,000  |
| SRP-P2   | 100002 | ASD         | Primary   | 6      | 6,000  |
| SRP-S1   | 200001 | ASD         | Secondary | 10     | 7,000  |
| SRP-S1   | 200001 | SLCN        | Secondary | 5      | 8,000  |

Children (plan = person_id x 10; NC year given for 2023/24)
| child | NC | home      | coords    | SRP placements (resourced provision)  | then / notes                              |
| 1     | 6  | Ashford   | 600, 142  | P1 ASD 2019-09-01 .. 2024-07-20       | S1 ASD from 2024-09-01: secondary SRP same |
| 2     | 6  | Ashford   | 603, 144  | P1 ASD 2019-09-01 .. 2024-07-20       | Dover Special from 2024-09-02              |
| 3     | 6  | Dover     | 612, 145  | P1 ASD 2019-09-01 .. 2024-07-20       | S1 SLCN from 2024-09-01: other designation |
| 4     | 6  | Maidstone | 575, 158  | P2 ASD 2019-09-01 .. 2024-07-20       | Maidstone Academy (mainstream) 2024-09-02  |
| 5     | 6  | Maidstone | 579, 152  | P2 ASD 2019-09-01 .. 2024-07-20       | plan CEASED 2024-08-31                     |
| 6     | 6  | Dover     | none      | P1 ASD 2019-09-01 .. 2024-07-20       | elective home education from 2024-09-01    |
| 7     | 8  | Ashford   | 600, 146  | S1 ASD from 2022-09-01                |                                            |
| 8     | 9  | Maidstone | 575, 150  | S1 SLCN from 2022-09-01               |                                            |
| 9     | 4  | Ashford   | 606, 148  | P1 ASD from 2022-09-01                | missing from P1's 2024/25 return           |
| 10    | 1  | Maidstone | 575, 156  | P2 ASD from 2024-09-02                | plan 2024-06-01 (no review due)            |
| 11    | 5  | Ashford   | 600, 141  | P1 ASD from 2021-09-01                | Year 6 in 2024/25 (transfer not covered)   |
| 12    | 2  | Dover     | 620, 140  | P1, designation BLANK, from 2023-09-04| plan 2023-03-01                            |

Distances: child 1 -> P1 2 km, -> S1 8 km; 2 -> P1 5; 3 -> P1 13 and -> S1 13; 4 -> P2 3;
5 -> P2 5; 7 -> S1 4; 8 -> S1 25; 9 -> P1 10; 10 -> P2 1; 11 -> P1 1; 12 -> P1 20.

Annual reviews: 1: 2023-03-01, 2024-03-01; 2: 2022-12-01; 3: 2023-06-01; 4, 5: 2023-05-01;
6: 2023-10-01; 7: 2023-02-01, 2024-02-01; 8: 2023-01-10, 2024-12-01; 9: 2023-05-20;
11: 2023-11-01, 2024-11-01; 12: 2024-02-20. Plans start 2019-05-01 (children 1-6),
2018-01-10 (7, 8), 2022-06-01 (9), 2024-06-01 (10), 2021-01-01 (11), 2023-03-01 (12).

School returns (deadline 30 September after the year)
| school | year    | version | completed  | status  | err | warn | pupils listed                        |
| P1     | 2023/24 | v1      | 2024-09-10 | valid   | 0   | 1    | 1, 2, 3 (SUPERSEDED: ignored)        |
| P1     | 2023/24 | v2      | 2024-09-20 | valid   | 0   | 0    | 1, 2, 3, 6, 9, 11, 12                |
| P2     | 2023/24 | v1      | 2024-10-15 | valid   | 0   | 0    | 4, 5 (LATE)                          |
| S1     | 2023/24 | v1      | 2024-09-25 | invalid | 2   | 1    | (no current return)                  |
| P1     | 2024/25 | v1      | 2025-09-15 | valid   | 0   | 0    | 11 (NC 5: mismatch), 12 (SLCN:       |
|        |         |         |            |         |     |      | mismatch), X (not in Synergy)        |
| P2     | 2024/25 | -       | no return at all                                               |
| S1     | 2024/25 | v1      | 2025-09-20 | valid   | 0   | 1    | 1, 3, 7, 8                           |
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Callable

import duckdb

from orchestration.ingest.schema import ensure_bronze_schema
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import run_dbt

EXTRACT_DATE = dt.date(2025, 10, 1)
P1, P2, S1, SPECIAL, MAINSTREAM = "100001", "100002", "200001", "300001", "400001"

# urn, name, type of establishment, district, easting, northing
ESTABLISHMENTS = [
    (P1, "Ashford Primary", "Community school", "Ashford", 600000, 140000),
    (P2, "Maidstone Primary", "Community school", "Maidstone", 575000, 155000),
    (S1, "Ashford High", "Academy converter", "Ashford", 600000, 150000),
    (SPECIAL, "Dover Special", "Community special school", "Dover", 630000, 140000),
    (MAINSTREAM, "Maidstone Academy", "Academy converter", "Maidstone", 575000, 160000),
]

# srp_id, urn, designation, phase, places, top-up (each year)
REGISTER = [
    ("SRP-P1", P1, "ASD", "Primary", 8, 6000),
    ("SRP-P2", P2, "ASD", "Primary", 6, 6000),
    ("SRP-S1", S1, "ASD", "Secondary", 10, 7000),
    ("SRP-S1", S1, "SLCN", "Secondary", 5, 8000),
]
YEARS = ("2023/24", "2024/25")


def upn(child: int | str) -> str:
    return f"A8860000000{child:02d}" if isinstance(child, int) else "B886999999999"


# person_id, NC year in 2023/24, home district, easting, northing
CHILDREN = [
    (1, 6, "Ashford", 600000, 142000),
    (2, 6, "Ashford", 603000, 144000),
    (3, 6, "Dover", 612000, 145000),
    (4, 6, "Maidstone", 575000, 158000),
    (5, 6, "Maidstone", 579000, 152000),
    (6, 6, "Dover", None, None),
    (7, 8, "Ashford", 600000, 146000),
    (8, 9, "Maidstone", 575000, 150000),
    (9, 4, "Ashford", 606000, 148000),
    (10, 1, "Maidstone", 575000, 156000),
    (11, 5, "Ashford", 600000, 141000),
    (12, 2, "Dover", 620000, 140000),
]

# plan_id, person_id, start, cease, cease reason
PLANS = [
    (10, 1, "2019-05-01", None, None),
    (20, 2, "2019-05-01", None, None),
    (30, 3, "2019-05-01", None, None),
    (40, 4, "2019-05-01", None, None),
    (50, 5, "2019-05-01", "2024-08-31", "2"),
    (60, 6, "2019-05-01", None, None),
    (70, 7, "2018-01-10", None, None),
    (80, 8, "2018-01-10", None, None),
    (90, 9, "2022-06-01", None, None),
    (100, 10, "2024-06-01", None, None),
    (110, 11, "2021-01-01", None, None),
    (120, 12, "2023-03-01", None, None),
]

LEFT_PRIMARY = "2024-07-20"
# placement_id, plan_id, urn, sen_setting, entry, leaving, resourced provision, srp designation
PLACEMENTS = [
    (101, 10, P1, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (102, 10, S1, None, "2024-09-01", None, "Y", "ASD"),
    (201, 20, P1, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (202, 20, SPECIAL, None, "2024-09-02", None, "N", None),
    (301, 30, P1, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (302, 30, S1, None, "2024-09-01", None, "Y", "SLCN"),
    (401, 40, P2, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (402, 40, MAINSTREAM, None, "2024-09-02", None, "N", None),
    (501, 50, P2, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (601, 60, P1, None, "2019-09-01", LEFT_PRIMARY, "Y", "ASD"),
    (602, 60, None, "EHE", "2024-09-01", None, "N", None),
    (701, 70, S1, None, "2022-09-01", None, "Y", "ASD"),
    (801, 80, S1, None, "2022-09-01", None, "Y", "SLCN"),
    (901, 90, P1, None, "2022-09-01", None, "Y", "ASD"),
    (1001, 100, P2, None, "2024-09-02", None, "Y", "ASD"),
    (1101, 110, P1, None, "2021-09-01", None, "Y", "ASD"),
    (1201, 120, P1, None, "2023-09-04", None, "Y", None),
]

# plan_id, review meeting dates
REVIEWS = {
    10: ["2023-03-01", "2024-03-01"], 20: ["2022-12-01"], 30: ["2023-06-01"],
    40: ["2023-05-01"], 50: ["2023-05-01"], 60: ["2023-10-01"],
    70: ["2023-02-01", "2024-02-01"], 80: ["2023-01-10", "2024-12-01"], 90: ["2023-05-20"],
    110: ["2023-11-01", "2024-11-01"], 120: ["2024-02-20"],
}

# submission id, urn, academic year, date completed, status, errors, warnings
SUBMISSIONS = [
    ("p1-2023-v1", P1, "2023/24", "2024-09-10", "valid", 0, 1),
    ("p1-2023-v2", P1, "2023/24", "2024-09-20", "valid", 0, 0),
    ("p2-2023", P2, "2023/24", "2024-10-15", "valid", 0, 0),
    ("s1-2023", S1, "2023/24", "2024-09-25", "invalid", 2, 1),
    ("p1-2024", P1, "2024/25", "2025-09-15", "valid", 0, 0),
    ("s1-2024", S1, "2024/25", "2025-09-20", "valid", 0, 1),
]

# submission id -> pupils: child, NC year, designation, % timetable mainstream, attendance %,
# suspension days, permanently excluded
RETURN_PUPILS = {
    "p1-2023-v1": [(1, 6, "ASD", 0, 10, 9, "Y"), (2, 6, "ASD", 0, 10, 9, "Y"),
                   (3, 6, "ASD", 0, 10, 9, "Y")],
    "p1-2023-v2": [(1, 6, "ASD", 30, 90, 0, "N"), (2, 6, "ASD", 30, 90, 0, "N"),
                   (3, 6, "ASD", 30, 90, 0, "N"), (6, 6, "ASD", 30, 90, 0, "N"),
                   (9, 4, "ASD", 30, 90, 0, "N"), (11, 5, "ASD", 30, 90, 0, "N"),
                   (12, 2, "ASD", 30, 97, 0, "N")],
    "p2-2023": [(4, 6, "ASD", 20, 80, 3, "N"), (5, 6, "ASD", 30, 86, 1, "N")],
    "s1-2023": [(7, 8, "ASD", 10, 10, 0, "N")],
    "p1-2024": [(11, 5, "ASD", 40, 90, 2, "N"), (12, 3, "SLCN", 60, 95, 0, "N"),
                ("X", 4, "ASD", None, 85, 1, "Y")],
    "s1-2024": [(1, 7, "ASD", 70, 96, 0, "N"), (3, 7, "SLCN", 50, 94, 0, "N"),
                (7, 9, "ASD", 60, 92, 0, "N"), (8, 10, "SLCN", 40, 90, 1, "N")],
}

# submission id -> income: place funding, top-up, other; spend: teaching, support, therapies,
# resources, training, other
RETURN_FINANCE = {
    "p1-2023-v1": (1, 1, 1, 1, 1, 1, 1, 1, 1),
    "p1-2023-v2": (80000, 42000, 0, 60000, 50000, 10000, 5000, 2000, 1000),
    "p2-2023": (60000, 12000, 3000, 40000, 25000, 5000, 2000, 1000, 0),
    "s1-2023": (9, 9, 9, 9, 9, 9, 9, 9, 9),
    "p1-2024": (80000, 30000, 1000, 55000, 45000, 8000, 4000, 2000, 1000),
    "s1-2024": (150000, 28000, 2000, 90000, 60000, 15000, 6000, 3000, 3000),
}

# submission id -> outreach sessions, % parents satisfied, % pupils meeting outcomes
RETURN_OUTCOMES = {
    "p1-2023-v1": (99, 50, 50),
    "p1-2023-v2": (10, 90, 85),
    "p2-2023": (4, 75, 60),
    "s1-2023": (99, 99, 99),
    "p1-2024": (12, 80, 70),
    "s1-2024": (20, 88, 82),
}

_FINANCE_COLUMNS = ["income_place_funding", "income_top_up", "income_other",
                    "spend_teaching_staff", "spend_support_staff", "spend_therapies",
                    "spend_resources", "spend_training", "spend_other"]


def _text(value):
    return None if value is None else str(value)


def _insert(con, table: str, columns: list[str], rows, synergy: bool = False) -> None:
    names = columns + (["_extract_date", "_valid_from", "_valid_to"] if synergy else [])
    placeholders = ", ".join("?" for _ in names)
    for row in rows:
        values = [_text(v) for v in row]
        if synergy:
            values += [EXTRACT_DATE, EXTRACT_DATE, None]
        con.execute(f"INSERT INTO bronze.{table} ({', '.join(names)}) VALUES ({placeholders})",
                    values)


def _birth_date(nc_year_2023: int) -> str:
    return f"{2023 - nc_year_2023 - 4}-03-15"


def write_schools(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bronze schema and write the loaded extract, GIAS and the SRP register."""
    ensure_bronze_schema(con)
    # the extract the Synergy rows come from, as ingestion records it
    con.execute("INSERT INTO bronze.synergy_extracts (extract_date, status) VALUES (?, 'loaded')",
                [EXTRACT_DATE])
    _insert(con, "gias_establishment",
            ["urn", "establishment_name", "type_of_establishment_name",
             "district_administrative_name", "easting", "northing", "la_code", "la_name",
             "_file_date"],
            [e + ("886", "Kent", "2025-09-01") for e in ESTABLISHMENTS])
    write_register(con, REGISTER)


def write_register(con: duckdb.DuckDBPyConnection, register: list[tuple]) -> None:
    """SRP register rows (srp_id, urn, designation, phase, places, top-up), the same each year."""
    _insert(con, "srp_register",
            ["srp_id", "urn", "designation", "phase", "commissioned_places", "top_up_gbp",
             "academic_year", "place_funding_gbp"],
            [r + (year, 10000) for year in YEARS for r in register])


def write_children(con: duckdb.DuckDBPyConnection, children: list[tuple], plans: list[tuple],
                   placements: list[tuple]) -> None:
    """Synergy people, plans and placements, shaped as CHILDREN, PLANS and PLACEMENTS."""
    _insert(con, "synergy_person",
            ["person_id", "upn", "date_of_birth", "sex", "home_district", "home_easting",
             "home_northing"],
            [(c, upn(c), _birth_date(nc), "M", home, e, n) for c, nc, home, e, n in children],
            synergy=True)
    _insert(con, "synergy_named_plan",
            ["plan_id", "person_id", "start_date", "cease_date", "cease_reason"], plans,
            synergy=True)
    _insert(con, "synergy_placement",
            ["placement_id", "plan_id", "urn", "sen_setting", "entry_date", "leaving_date",
             "resourced_provision_indicator", "srp_designation", "placement_rank",
             "sen_unit_indicator"],
            [p + (1, "N") for p in placements], synergy=True)


def write_return_places(con: duckdb.DuckDBPyConnection, places: dict[str, list[tuple]]) -> None:
    """Places rows of returns: submission id -> (designation, commissioned places, pupils with
    an EHC plan, pupils without)."""
    _insert(con, "return_places",
            ["_sha256", "_row_number", "designation", "commissioned_places", "pupils_with_ehcp",
             "pupils_without_ehcp"],
            [(s, i + 4, *row) for s, rows in places.items() for i, row in enumerate(rows)])


def dbt_build(root: Path, write: Callable[[duckdb.DuckDBPyConnection], None],
              models: tuple[str, ...]) -> Path:
    """A fresh warehouse under `root` with bronze written by `write`, and `dbt build` of
    `models` and everything upstream. Only the tests of the built gold layer run (silver and
    seed tests belong to their own suites; cautious: no test of a model left unbuilt)."""
    landing = root / "landing"
    landing.mkdir()
    (landing / "SAMPLE_DATA.json").write_text("{}")  # sample data: the dev pseudonym key is allowed
    path = root / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        write(con)
    result = run_dbt(
        root, "build", "--select", *(f"+{m}" for m in models),
        "--exclude", "resource_type:test,path:models/silver/_models.yml",
        "resource_type:test,path:../seeds/_seeds.yml", "--indirect-selection", "cautious",
        env={**os.environ, "SEND_LANDING_DIR": str(landing)},
    )
    assert result.returncode == 0, result.stdout[-5000:]
    return path


def write_bronze(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bronze schema and write the scenario into it (text values, current rows)."""
    write_schools(con)
    write_children(con, CHILDREN, PLANS, PLACEMENTS)
    _insert(con, "synergy_annual_review", ["review_id", "plan_id", "review_meeting_date"],
            [(plan * 10 + i, plan, d) for plan, dates in REVIEWS.items()
             for i, d in enumerate(dates)], synergy=True)
    _insert(con, "return_submissions",
            ["_sha256", "urn", "_academic_year", "academic_year", "date_completed", "status",
             "error_count", "warning_count", "received_at"],
            [(s, urn, year, year, done, status, err, warn, f"{done} 09:00:00")
             for s, urn, year, done, status, err, warn in SUBMISSIONS])
    _insert(con, "return_pupils",
            ["_sha256", "_row_number", "upn", "nc_year", "designation",
             "pct_timetable_mainstream", "attendance_pct", "suspension_days",
             "permanent_exclusion"],
            [(s, i + 4, upn(child), *rest) for s, pupils in RETURN_PUPILS.items()
             for i, (child, *rest) in enumerate(pupils)])
    _insert(con, "return_finance", ["_sha256"] + _FINANCE_COLUMNS,
            [(s, *values) for s, values in RETURN_FINANCE.items()])
    _insert(con, "return_outcomes",
            ["_sha256", "outreach_sessions", "pct_parents_satisfied",
             "pct_pupils_meeting_outcomes"],
            [(s, *values) for s, values in RETURN_OUTCOMES.items()])
