"""A small hand-built EHCP caseload, written straight into bronze, for the exact gold tests.

Eighteen children in two home districts (Ashford, South Kent; Thanet, East Kent), one Synergy
extract of 1 July 2024, so the census days are 19 January 2023 (2022/23) and 18 January 2024
(2023/24). Every child is born in May-July, so age (on 31 August before the academic year) is
simply start year - birth year. The comments give what each child is there to test; the
expected figures in tests/test_gold_ehcp_exact.py are worked out by hand from this list.

Schools: 100001 mainstream (Community school), 100002 state-funded special (Community special
school), 100003 independent special (Other independent special school).

| child | born       | sex | ethnicity | home     | what happens                                          |
|-------|------------|-----|-----------|----------|-------------------------------------------------------|
| 1     | 2012-05-01 | M   | WBRI      | Ashford  | plan 2022-03-01 (transferred in), ASD, mainstream;     |
|       |            |     |           |          | reviews 2022-06-01, 2023-02-10 (in time)               |
| 2     | 2012-06-01 | F   | MWBC      | Thanet   | plan 2022-04-01, SEMH, special; reviews 2022-12-01     |
|       |            |     |           |          | (too old) and 2024-02-01 (after census: ignored)       |
| 3     | 2012-07-01 | M   | WBRI      | Thanet   | request 2022-09-05, plan issued 2023-01-09 (126 days),|
|       |            |     |           |          | ASD, mainstream; review 2024-01-05                     |
| 4     | 2011-05-01 | M   | WBRI      | Ashford  | plan 2022-02-15, ASD; mainstream until 2023-07-20,     |
|       |            |     |           |          | independent special from 2023-09-05 (age 11 -> 12);   |
|       |            |     |           |          | review 2023-03-01                                      |
| 5     | 2011-06-01 | F   | WBRI      | Ashford  | plan 2022-05-01, SEMH; mainstream, then special from  |
|       |            |     |           |          | 2023-09-05; never reviewed                             |
| 6     | 2011-07-01 | M   | MWBC      | Thanet   | plan 2022-06-01, only a rank-2 need (primary need not |
|       |            |     |           |          | recorded), mainstream; review 2023-01-18 (exactly 12  |
|       |            |     |           |          | months before the 2024 census day: in time)            |
| 7     | 2006-05-01 | F   | WBRI      | Thanet   | plan 2022-03-01 CEASED 2023-06-30, SEMH, special       |
| 8     | 2015-05-01 | M   | WBRI      | Ashford  | request 2022-11-01, plan issued 2023-05-01 (181 days: |
|       |            |     |           |          | LATE), ASD, mainstream                                 |
| 9     | 2016-05-01 | F   | MWBC      | Thanet   | request 2023-01-10, plan issued 2023-07-03 (174 days) |
|       |            |     |           |          | with a 20-week EXCEPTION, SEMH, special                |
| 10    | 2018-05-01 | M   | WBRI      | Ashford  | request 2023-03-01, plan issued 2023-07-10 (131 days),|
|       |            |     |           |          | ASD, mainstream from 2023-09-01                        |
| 11    | 2017-05-01 | M   | WBRI      | Thanet   | request 2023-02-01 REFUSED                             |
| 12    | 2014-05-01 | F   | WBRI      | Ashford  | request 2022-06-01 REFUSED (academic year 2021/22)     |
| 13    | 2019-05-01 | M   | MWBC      | Ashford  | request 2022-10-03 WITHDRAWN                           |
| 14    | 2020-05-01 | F   | WBRI      | Thanet   | request 2024-03-01, no decision yet                    |
| 15    | 2013-05-01 | M   | WBRI      | Thanet   | request 2023-11-01 agreed, assessment not finished    |
| 16    | 2014-05-01 | F   | WBRI      | Ashford  | request 2023-10-02, plan issued 2024-02-19 (exactly   |
|       |            |     |           |          | 140 days), ASD, mainstream (after the census day)      |
| 17    | 2012-05-01 | M   | WBRI      | Ashford  | request 2022-07-01, assessed, no plan (outcome N)      |
| 18    | 2013-06-01 | F   | WBRI      | Thanet   | request 2022-05-03, plan issued 2022-09-01 (121 days),|
|       |            |     |           |          | ASD, special; review 2023-08-20                        |

DfE rows (real figures from sen2_mi.csv): Kent, South East and England for 2022, England for
2015 (requests and refusal rate 'z'), plus rows the tables must ignore: Medway, London, and a
superseded older version of Kent's 2022 row.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from orchestration.ingest.schema import ensure_bronze_schema

EXTRACT_DATE = dt.date(2024, 7, 1)

MAINSTREAM, SPECIAL, INDEPENDENT = "100001", "100002", "100003"

ESTABLISHMENTS = [
    # urn, name, type of establishment, district
    (MAINSTREAM, "Ashford Primary and Secondary", "Community school", "Ashford"),
    (SPECIAL, "Thanet Special School", "Community special school", "Thanet"),
    (INDEPENDENT, "Ashford Independent Special", "Other independent special school", "Ashford"),
]

# person_id, date of birth, sex, ethnicity, home district
PERSONS = [
    (1, "01/05/2012", "M", "WBRI", "Ashford"),
    (2, "01/06/2012", "F", "MWBC", "Thanet"),
    (3, "01/07/2012", "M", "WBRI", "Thanet"),
    (4, "01/05/2011", "M", "WBRI", "Ashford"),
    (5, "01/06/2011", "F", "WBRI", "Ashford"),
    (6, "01/07/2011", "M", "MWBC", "Thanet"),
    (7, "01/05/2006", "F", "WBRI", "Thanet"),
    (8, "01/05/2015", "M", "WBRI", "Ashford"),
    (9, "01/05/2016", "F", "MWBC", "Thanet"),
    (10, "01/05/2018", "M", "WBRI", "Ashford"),
    (11, "01/05/2017", "M", "WBRI", "Thanet"),
    (12, "01/05/2014", "F", "WBRI", "Ashford"),
    (13, "01/05/2019", "M", "MWBC", "Ashford"),
    (14, "01/05/2020", "F", "WBRI", "Thanet"),
    (15, "01/05/2013", "M", "WBRI", "Thanet"),
    (16, "01/05/2014", "F", "WBRI", "Ashford"),
    (17, "01/05/2012", "M", "WBRI", "Ashford"),
    (18, "01/06/2013", "F", "WBRI", "Thanet"),
]

# request_id, person_id, received, request outcome, outcome date
REQUESTS = [
    (103, 3, "05/09/2022", "A", "01/10/2022"),
    (108, 8, "01/11/2022", "A", "01/12/2022"),
    (109, 9, "10/01/2023", "A", "01/02/2023"),
    (110, 10, "01/03/2023", "A", "01/04/2023"),
    (111, 11, "01/02/2023", "N", "01/03/2023"),
    (112, 12, "01/06/2022", "N", "01/07/2022"),
    (113, 13, "03/10/2022", "W", "01/11/2022"),
    (114, 14, "01/03/2024", None, None),
    (115, 15, "01/11/2023", "A", "01/12/2023"),
    (116, 16, "02/10/2023", "A", "01/11/2023"),
    (117, 17, "01/07/2022", "A", "01/08/2022"),
    (118, 18, "03/05/2022", "A", "01/06/2022"),
]

# assessment_id, request_id, outcome, outcome date, week-20 exception
ASSESSMENTS = [
    (203, 103, "I", "09/01/2023", "N"),
    (208, 108, "I", "01/05/2023", "N"),
    (209, 109, "I", "03/07/2023", "Y"),
    (210, 110, "I", "10/07/2023", "N"),
    (216, 116, "I", "19/02/2024", "N"),
    (217, 117, "N", "01/10/2022", "N"),
    (218, 118, "I", "01/09/2022", None),
]

# plan_id, person_id, assessment_id, start, cease, cease reason
PLANS = [
    (1, 1, None, "01/03/2022", None, None),
    (2, 2, None, "01/04/2022", None, None),
    (3, 3, 203, "09/01/2023", None, None),
    (4, 4, None, "15/02/2022", None, None),
    (5, 5, None, "01/05/2022", None, None),
    (6, 6, None, "01/06/2022", None, None),
    (7, 7, None, "01/03/2022", "30/06/2023", "1"),
    (8, 8, 208, "01/05/2023", None, None),
    (9, 9, 209, "03/07/2023", None, None),
    (10, 10, 210, "10/07/2023", None, None),
    (16, 16, 216, "19/02/2024", None, None),
    (18, 18, 218, "01/09/2022", None, None),
]

# plan_id, SEN type, rank
SEN_NEEDS = [
    (1, "ASD", 1), (1, "SLCN", 2), (2, "SEMH", 1), (3, "ASD", 1), (4, "ASD", 1),
    (5, "SEMH", 1), (6, "SLCN", 2), (7, "SEMH", 1), (8, "ASD", 1), (9, "SEMH", 1),
    (10, "ASD", 1), (16, "ASD", 1), (18, "ASD", 1),
]

# placement_id, plan_id, urn, entry, leaving
PLACEMENTS = [
    (301, 1, MAINSTREAM, "01/03/2022", None),
    (302, 2, SPECIAL, "01/04/2022", None),
    (303, 3, MAINSTREAM, "09/01/2023", None),
    (304, 4, MAINSTREAM, "15/02/2022", "20/07/2023"),
    (314, 4, INDEPENDENT, "05/09/2023", None),
    (305, 5, MAINSTREAM, "01/05/2022", "20/07/2023"),
    (315, 5, SPECIAL, "05/09/2023", None),
    (306, 6, MAINSTREAM, "01/06/2022", None),
    (307, 7, SPECIAL, "01/03/2022", "30/06/2023"),
    (308, 8, MAINSTREAM, "01/05/2023", None),
    (309, 9, SPECIAL, "01/09/2023", None),
    (310, 10, MAINSTREAM, "01/09/2023", None),
    (316, 16, MAINSTREAM, "19/02/2024", None),
    (318, 18, SPECIAL, "05/09/2022", None),
]

# review_id, plan_id, meeting date
REVIEWS = [
    (401, 1, "01/06/2022"),
    (402, 1, "10/02/2023"),
    (403, 2, "01/12/2022"),
    (404, 2, "01/02/2024"),
    (405, 3, "05/01/2024"),
    (406, 4, "01/03/2023"),
    (407, 6, "18/01/2023"),
    (408, 7, "01/02/2023"),
    (409, 18, "20/08/2023"),
]

_GEOGRAPHY = ("time_period", "time_identifier", "geographic_level", "country_code",
              "country_name", "region_code", "region_name", "new_la_code", "old_la_code",
              "la_name")
_MEASURES = ("inreq_ehc", "ass_refused_ehc_pc", "tot_inc_exc_ehc", "inc_exc_20week_rate",
             "no_exc_20week_rate")
# (geography..., measures..., superseded_by)
DFE_ROWS = [
    ("2015", "Calendar year", "National", "E92000001", "England", None, None, None, None, None,
     "z", "z", "24624", "54.600000000000", "59.200000000000", None),
    ("2022", "Calendar year", "National", "E92000001", "England", None, None, None, None, None,
     "114482", "22.0602", "65512", "47.665", "49.166", None),
    ("2022", "Calendar year", "Regional", "E92000001", "England", "E12000008", "South East",
     None, None, None, "19060", "22.6758", "11027", "44.835", "45.782", None),
    ("2022", "Calendar year", "Local authority", "E92000001", "England", "E12000008",
     "South East", "E10000016", "886", "Kent", "3669", "26.8466", "2216", "40.930", "41.128",
     None),
    # ignored: an older version of Kent's row, another authority, another region
    ("2022", "Calendar year", "Local authority", "E92000001", "England", "E12000008",
     "South East", "E10000016", "886", "Kent", "1", "1", "1", "1", "1", "newer-file-sha"),
    ("2022", "Calendar year", "Local authority", "E92000001", "England", "E12000008",
     "South East", "E06000035", "887", "Medway", "999", "9.9", "99", "9.9", "9.9", None),
    ("2022", "Calendar year", "Regional", "E92000001", "England", "E12000007", "London",
     None, None, None, "12345", "12.3", "1234", "12.3", "12.3", None),
]


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows,
            synergy: bool = True) -> None:
    extra = ["_extract_date", "_valid_from", "_valid_to"] if synergy else []
    names = columns + extra
    placeholders = ", ".join("?" for _ in names)
    for row in rows:
        values = ["" if v is None else str(v) for v in row]
        values = [None if v == "" else v for v in values]
        if synergy:
            values += [EXTRACT_DATE, EXTRACT_DATE, None]
        con.execute(f"INSERT INTO bronze.{table} ({', '.join(names)}) VALUES ({placeholders})",
                    values)


def write_bronze(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bronze schema and write the scenario into it (text values, current rows)."""
    ensure_bronze_schema(con)
    # the extract the Synergy rows come from, as ingestion records it
    con.execute("INSERT INTO bronze.synergy_extracts (extract_date, status) VALUES (?, 'loaded')",
                [EXTRACT_DATE])
    _insert(con, "synergy_person",
            ["person_id", "date_of_birth", "sex", "ethnicity", "home_district"], PERSONS)
    _insert(con, "synergy_request",
            ["request_id", "person_id", "received_date", "request_outcome",
             "request_outcome_date"], REQUESTS)
    _insert(con, "synergy_assessment",
            ["assessment_id", "request_id", "assessment_outcome", "assessment_outcome_date",
             "week20_exception"], ASSESSMENTS)
    _insert(con, "synergy_named_plan",
            ["plan_id", "person_id", "assessment_id", "start_date", "cease_date",
             "cease_reason"], PLANS)
    _insert(con, "synergy_sen_need", ["plan_id", "sen_type", "sen_type_rank"], SEN_NEEDS)
    _insert(con, "synergy_placement",
            ["placement_id", "plan_id", "urn", "entry_date", "leaving_date", "placement_rank",
             "resourced_provision_indicator", "sen_unit_indicator"],
            [p + ("1", "N", "N") for p in PLACEMENTS])
    _insert(con, "synergy_annual_review", ["review_id", "plan_id", "review_meeting_date"],
            REVIEWS)
    _insert(con, "gias_establishment",
            ["urn", "establishment_name", "type_of_establishment_name",
             "district_administrative_name", "la_code", "la_name"],
            [e + ("886", "Kent") for e in ESTABLISHMENTS], synergy=False)
    _insert(con, "dfe_sen2_mi", list(_GEOGRAPHY + _MEASURES) + ["_superseded_by_sha256"],
            DFE_ROWS, synergy=False)
