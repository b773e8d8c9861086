"""The annual strategic report built from a small hand-written warehouse and a release written
by hand after the release contract (external.<table> with <column>_flag, external.release_audit):
files, sections, offline-only resources, and every figure shown exactly as the release flags
it, in tables and charts."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import duckdb
import pytest

from orchestration.disclosure.declarations import (
    COUNT,
    DERIVED,
    MONEY_REVEALS_COUNT,
    RATE,
    load_declarations,
)
from orchestration.report import build_report
from orchestration.report.data import REPORT_GOLD_TABLES

# The roles whose figures carry a flag in the release (docs/DISCLOSURE.md).
FLAGGED_ROLES = {COUNT, DERIVED, RATE, MONEY_REVEALS_COUNT}

GENERATED_AT = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)

# (urn, name, district, area, phase, designation, commissioned, on roll, on roll returned)
SCHOOLS_2024 = [
    ("100001", "Alpha Primary School", "Ashford", "South Kent", "Primary", "ASD", 12, 10, 10),
    ("100002", "Beta Primary School", "Ashford", "South Kent", "Primary", "SLCN", 6, 3, None),
    ("100003", "Gamma High School", "Dover", "South Kent", "Secondary", "ASD", 15, 16, 15),
    ("100004", "Delta Academy", "Thanet", "East Kent", "Secondary", "HI", 8, 7, 7),
]
SCHOOLS_2023 = [
    ("100001", "Alpha Primary School", "Ashford", "South Kent", "Primary", "ASD", 10, 9, 9),
    ("100003", "Gamma High School", "Dover", "South Kent", "Secondary", "ASD", 15, 14, 14),
    ("100004", "Delta Academy", "Thanet", "East Kent", "Secondary", "HI", 8, 6, 6),
]
MEASURES = (
    "srp_count",
    "commissioned_places",
    "pupils_on_roll",
    "pupils_on_roll_returned",
    "assessment_places_returned",
    "vacancies",
    "over_subscription",
)


def _school_row(year: str, school: tuple) -> dict:
    urn, name, district, area, phase, designation, places, pupils, returned = school
    return {
        "level": "school",
        "level_key": urn,
        "academic_year": year,
        "area": area,
        "district": district,
        "urn": urn,
        "school_name": name,
        "srp_id": f"SRP-{urn}",
        "phase": phase,
        "designation": designation,
        "srp_count": 1,
        "commissioned_places": places,
        "pupils_on_roll": pupils,
        "pupils_on_roll_returned": returned,
        "assessment_places_returned": 0 if returned else None,
        "vacancies": max(places - pupils, 0),
        "over_subscription": max(pupils - places, 0),
    }


def _sum(rows: list[dict], col: str):
    values = [r[col] for r in rows if r[col] is not None]
    return sum(values) if values else None


def _rolled_up(schools: list[dict]) -> list[dict]:
    """The district / area / county rows of gold.srp_places, by phase and designation and 'All'."""
    out = []
    for level, key_col in (("district", "district"), ("area", "area"), ("county", None)):
        keys = {s[key_col] for s in schools} if key_col else {"Kent"}
        for key, by_phase, by_designation in product(sorted(keys), (True, False), (True, False)):
            members = [s for s in schools if key_col is None or s[key_col] == key]
            groups: dict[tuple, list] = {}
            for s in members:
                groups.setdefault(
                    (
                        s["phase"] if by_phase else "All",
                        s["designation"] if by_designation else "All",
                    ),
                    [],
                ).append(s)
            for (phase, designation), rows in groups.items():
                first = rows[0]
                out.append(
                    {
                        "level": level,
                        "level_key": key,
                        "academic_year": first["academic_year"],
                        "area": first["area"] if level != "county" else None,
                        "district": first["district"] if level == "district" else None,
                        "urn": None,
                        "school_name": None,
                        "srp_id": None,
                        "phase": phase,
                        "designation": designation,
                        **{m: _sum(rows, m) for m in MEASURES},
                    }
                )
    return out


def srp_places_rows() -> list[dict]:
    rows = []
    for year, schools in (("2023/24", SCHOOLS_2023), ("2024/25", SCHOOLS_2024)):
        school_rows = [_school_row(year, s) for s in schools]
        rows += school_rows + _rolled_up(school_rows)
    for row in rows:
        places = row["commissioned_places"]
        row["occupancy_pct"] = round(100.0 * row["pupils_on_roll"] / places, 1) if places else None
    return rows


TRAVEL_COLUMNS = (
    "level", "level_key", "area", "district", "urn", "designation", "pupils_on_roll",
    "pupils_with_known_distance", "mean_distance_km", "median_distance_km", "p90_distance_km",
    "pupils_from_other_district", "from_other_district_share", "pupils_distance_unknown",
)  # fmt: skip
TRAVEL_ROWS = [
    ("county", "Kent", None, None, None, "All", 36, 34, 6.42, 5.1, 12.3, 9, 0.25, 2),
    ("district", "Ashford", "South Kent", "Ashford", None, "All", 13, 13, 4.1, 3.9, 7.0, 2,
     0.1538, 0),
    ("district", "Dover", "South Kent", "Dover", None, "All", 16, 14, 7.9, 7.5, 14.0, 5, 0.3125, 2),
    ("district", "Thanet", "East Kent", "Thanet", None, "All", 7, 7, 7.2, 6.8, 11.0, 2, 0.2857, 0),
    ("school", "100002", "South Kent", "Ashford", "100002", "SLCN", 3, 3, 2.5, 2.5, 3.0, 0, 0.0, 0),
]  # fmt: skip

PATHWAY_COLUMNS = (
    "level", "level_key", "area", "district", "designation", "year6_pupils",
    "to_secondary_srp_same_designation", "to_secondary_srp_other_designation", "to_mainstream",
    "to_special_state_funded", "to_independent_non_maintained", "to_other_arrangement",
    "to_no_plan_or_left", "continuing_to_secondary_srp", "continuing_to_secondary_srp_share",
    "secondary_srp_places", "year7_places", "year7_places_gap",
)  # fmt: skip
PATHWAY_ROWS = [
    ("county", "Kent", None, None, "All", 30, 12, 3, 6, 5, 2, 2, 0, 15, 0.5, 40, 8.0, 22.0),
    ("district", "Ashford", "South Kent", "Ashford", "All", 12, 6, 0, 3, 2, 1, 0, 0, 6, 0.5, 20,
     4.0, 8.0),
    ("district", "Dover", "South Kent", "Dover", "All", 18, 6, 3, 3, 3, 1, 2, 0, 9, 0.5, 20, 4.0,
     14.0),
]  # fmt: skip

KPI_COLUMNS = (
    "level", "level_key", "area", "district", "urn", "school_name", "pupils_on_roll",
    "occupancy_pct", "occupancy_pct_rag", "return_pupils", "attendance_pct", "attendance_pct_rag",
    "annual_reviews_due", "annual_reviews_on_time", "annual_reviews_on_time_pct",
    "annual_reviews_on_time_pct_rag", "outreach_sessions", "overall_rag",
)  # fmt: skip
KPI_ROWS = [
    ("county", "Kent", None, None, None, None, 36, 87.8, "Green", 30, 91.5, "Amber", 30, 27, 90.0,
     "Green", 12, "Amber"),
    ("school", "100001", "South Kent", "Ashford", "100001", "Alpha Primary School", 10, 83.3,
     "Green", 10, 95.0, "Green", 9, 9, 100.0, "Green", 3, "Green"),
    ("school", "100002", "South Kent", "Ashford", "100002", "Beta Primary School", 3, 50.0, "Red",
     None, None, None, 3, 3, 100.0, "Green", 0, "Red"),
]  # fmt: skip


PLACEMENT_COLUMNS = ("level", "level_key", "age", "placement_category", "holders",
                     "holders_at_age", "holders_share", "academic_year")  # fmt: skip
PLACEMENT_ROWS = [
    ("county", "Kent", 11, "Mainstream school", 20, 23, 0.8696, "2024/25"),
    ("county", "Kent", 11, "State-funded special school", 3, 23, 0.1304, "2024/25"),
    ("county", "Kent", 12, "Mainstream school", 15, 26, 0.5769, "2024/25"),
    ("county", "Kent", 12, "State-funded special school", 9, 26, 0.3462, "2024/25"),
    ("county", "Kent", 12, "Independent school", 2, 26, 0.0769, "2024/25"),
]


def _create(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """A table typed by its values (int -> integer, float -> double, else varchar)."""

    def sql_type(i: int) -> str:
        values = [r[i] for r in rows if r[i] is not None]
        if values and all(isinstance(v, int) for v in values):
            return "integer"
        return (
            "double" if values and all(isinstance(v, (int, float)) for v in values) else "varchar"
        )

    con.execute(
        f"create table {table} ("
        + ", ".join(f"{c} {sql_type(i)}" for i, c in enumerate(columns))
        + ")"
    )
    con.executemany(f"insert into {table} values ({', '.join('?' * len(columns))})", rows)


def write_warehouse(path: Path) -> Path:
    """A warehouse with gold.srp_places, srp_travel, phase_transfer_pathways and srp_kpis (the
    columns of the dbt models), a gold.srp_finance without its council_funding_gbp column, and a
    few load errors."""
    con = duckdb.connect(str(path))
    con.execute("create schema gold; create schema bronze")
    rows = srp_places_rows()
    columns = tuple(rows[0])
    _create(con, "gold.srp_places", columns, [tuple(r[c] for c in columns) for r in rows])
    year = ("academic_year",)
    _create(con, "gold.srp_travel", TRAVEL_COLUMNS + year, [r + ("2024/25",) for r in TRAVEL_ROWS])
    _create(
        con,
        "gold.phase_transfer_pathways",
        PATHWAY_COLUMNS + ("entry_year",),
        [r + ("2024/25",) for r in PATHWAY_ROWS],
    )
    _create(con, "gold.srp_kpis", KPI_COLUMNS + year, [r + ("2024/25",) for r in KPI_ROWS])
    _create(con, "gold.ehcp_placement_by_age", PLACEMENT_COLUMNS, PLACEMENT_ROWS)
    _create(
        con, "gold.srp_finance", ("level", "level_key", "pupils_on_roll"), [("county", "Kent", 36)]
    )
    _create(
        con,
        "bronze.load_errors",
        ("source", "rule", "severity"),
        [("synergy_person", "upn_check_letter", "error")] * 3
        + [("srp_register", "unknown_urn", "warning")],
    )
    con.close()
    return path


AUDIT = {
    "cells_published": 1234, "cells_hidden": 56, "relations_checked": 789,
    "narrowest_interval": "[0, 9]", "narrowest_cell": "srp_places|level=district|key=Ashford",
    "passed": True, "audited_at": dt.datetime(2025, 6, 1, 8, 0),
}  # fmt: skip


def write_release(path: Path, hide=(), audit: dict | None = AUDIT) -> Path:
    """external.<table> for every report table in gold, after the release contract: the gold
    columns in gold's order, each figure with a flagged role followed by ``<column>_flag``.

    Hidden ('c', value NULL): counts of 1-4, the cells ``hide`` names as (table, {column:
    value} the row matches, column), and every figure whose declared count bases are hidden;
    'x' where gold is NULL, 'z' for a rate over a denominator of 0. With ``audit``, one row of
    external.release_audit. A small stand-in for the release engine: the report must show
    whatever a release flags, so these tests choose the flags."""
    declarations = load_declarations()
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists external")
    present = {t for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'gold'").fetchall()}
    for table in [t for t in REPORT_GOLD_TABLES if t in present]:
        roles = declarations.tables[table].roles
        cur = con.execute(f"select * from gold.{table}")
        columns = [d[0] for d in cur.description]
        gold_rows = [dict(zip(columns, r)) for r in cur.fetchall()]
        flagged = [c for c in columns if c in roles and roles[c].role in FLAGGED_ROLES]
        out_columns = [n for c in columns for n in ((c, f"{c}_flag") if c in flagged else (c,))]
        con.execute(
            f"create table external.{table} as select "
            + ", ".join(f"null::varchar as {n}" if n.endswith("_flag") and n[:-5] in flagged
                        else n for n in out_columns)
            + f" from gold.{table} where false"
        )
        rows = []
        for row in gold_rows:
            hidden = {c for c in flagged if roles[c].role == COUNT and row[c] and 0 < row[c] < 5}
            hidden |= {c for t, match, c in hide
                       if t == table and all(row.get(k) == v for k, v in match.items())}
            hidden |= {c for c in flagged
                       if set(declarations.count_bases(table, c)) & hidden}
            out = dict(row)
            for c in flagged:
                role = roles[c]
                if c in hidden:
                    out[c], out[f"{c}_flag"] = None, "c"
                elif row[c] is None:
                    zero = role.role == RATE and row.get(role.denominator) == 0
                    out[f"{c}_flag"] = "z" if zero else "x"
                else:
                    out[f"{c}_flag"] = None
            rows.append(tuple(out[n] for n in out_columns))
        if rows:
            con.executemany(
                f"insert into external.{table} values ({', '.join('?' * len(out_columns))})", rows
            )
    if audit is not None:
        con.execute(
            "create table external.release_audit (cells_published bigint, cells_hidden bigint,"
            " relations_checked bigint, narrowest_interval varchar, narrowest_cell varchar,"
            " passed boolean, audited_at timestamp)"
        )
        con.execute("insert into external.release_audit values (?, ?, ?, ?, ?, ?, ?)",
                    list(audit.values()))
    con.close()
    return path


# What the release hides besides counts of 1-4 and the figures built on them: Alpha's pupils
# on roll (Beta's 3 would follow from Ashford's 13 otherwise), and a few more a secondary
# suppression could have chosen.
HIDE = (
    ("srp_places", {"level": "school", "urn": "100001", "academic_year": "2024/25"},
     "pupils_on_roll"),
    ("srp_places", {"level": "county", "phase": "All", "designation": "All",
                    "academic_year": "2024/25"}, "over_subscription"),
    ("srp_kpis", {"level": "school", "urn": "100001"}, "pupils_on_roll"),
    ("phase_transfer_pathways", {"level": "county"}, "to_secondary_srp_same_designation"),
    ("srp_travel", {"level": "district", "level_key": "Ashford"}, "pupils_from_other_district"),
    ("ehcp_placement_by_age", {"age": 11, "placement_category": "Mainstream school"}, "holders"),
    # hidden on one row of age 12 only: the pivot's "All" for the age is hidden all the same
    ("ehcp_placement_by_age", {"age": 12, "placement_category": "Independent school"},
     "holders_at_age"),
)  # fmt: skip


def write_report_warehouse(path: Path) -> Path:
    """The hand-written gold tables and their release."""
    return write_release(write_warehouse(path), HIDE)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    warehouse = write_report_warehouse(root / "warehouse.duckdb")
    return build_report(warehouse, root / "report", generated_at=GENERATED_AT)


class _Tables(HTMLParser):
    """Rows of every table of a page as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_svg = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def row_starting(html: str, first: str, index: int = 0) -> list[str]:
    return [r for r in table_rows(html) if r and r[0] == first][index]


def page(report: Path, name: str) -> str:
    return (report.parent / name).read_text(encoding="utf-8")


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def test_writes_the_index_and_a_page_per_area_district_and_srp_school(report):
    names = sorted(p.name for p in report.parent.iterdir())
    assert report.name == "index.html"
    assert [n for n in names if n.startswith("area-")] == [
        "area-east-kent.html",
        "area-north-kent.html",
        "area-south-kent.html",
        "area-west-kent.html",
    ]
    assert len([n for n in names if n.startswith("district-")]) == 12
    assert "district-folkestone-and-hythe.html" in names
    assert [n for n in names if n.startswith("school-")] == [
        "school-100001.html",
        "school-100002.html",
        "school-100003.html",
        "school-100004.html",
    ]


def test_index_has_every_section_in_order(report):
    assert section_ids(page(report, "index.html")) == [
        "summary",
        "packs",
        "places",
        "pathways",
        "travel",
        "finance",
        "kpis",
        "returns",
        "forecast",
        "ehcp-profile",
        "placement-by-age",
        "timeliness",
        "methods",
        "data-quality",
    ]


def test_district_and_school_pages_have_their_sections(report):
    assert section_ids(page(report, "district-ashford.html")) == [
        "summary",
        "packs",
        "places",
        "pathways",
        "travel",
        "finance",
        "kpis",
        "returns",
        "forecast",
        "ehcp-profile",
        "placement-by-age",
        "timeliness",
    ]
    assert section_ids(page(report, "school-100002.html")) == [
        "summary",
        "places",
        "travel",
        "finance",
        "kpis",
        "returns",
    ]


def test_every_page_is_self_contained(report):
    for path in report.parent.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html), path.name
        assert "<link" not in html and "<script" not in html and "<img" not in html, path.name
        assert "@import" not in html and "url(" not in html, path.name
        for href in re.findall(r'href="([^"]+)"', html):
            target, _, anchor = href.partition("#")
            assert not target or (report.parent / target).exists(), (path.name, href)


def test_key_figures_of_the_county(report):
    html = page(report, "index.html")
    tiles = re.findall(
        r'class="tile-label">([^<]+)</div>\s*<div class="tile-value[^"]*">([^<]+)<', html
    )
    assert tiles == [
        ("Places commissioned", "41"),
        ("Pupils on roll", "36"),
        ("Occupancy", "87.8%"),
        ("Vacancies", "6"),
        ("Returns accepted", "3"),
    ]
    assert "of 4 SRP schools" in html
    assert "Academic year 2024/25" in html


def test_county_table_by_district(report):
    html = page(report, "index.html")
    header = [
        "District",
        "SRPs",
        "Places commissioned",
        "On roll (Synergy)",
        "On roll (school return)",
        "Occupancy",
        "Vacancies",
        "Pupils over places",
    ]
    assert header in table_rows(html)
    assert row_starting(html, "Ashford", 1) == ["Ashford", "2", "18", "13", "10", "72.2%", "5", "0"]
    assert row_starting(html, "Kent total") == [
        "Kent total",
        "4",
        "41",
        "36",
        "32",
        "87.8%",
        "6",
        "c",
    ]


def test_cells_the_release_hides_are_c_with_the_figures_built_on_them(report):
    html = page(report, "district-ashford.html")
    beta = row_starting(html, "Beta Primary School", 1)  # 0: the list of SRP schools
    # on roll 3 (a count of 1-4); occupancy, vacancies and over places follow it
    assert beta == ["Beta Primary School", "Primary", "SLCN", "6", "c", "x", "c", "c", "c"]
    # Alpha's 10 is hidden by the release (it would give Beta's 3 away from Ashford's 13)
    alpha = row_starting(html, "Alpha Primary School", 1)
    assert alpha == ["Alpha Primary School", "Primary", "ASD", "12", "c", "10", "c", "c", "c"]
    assert row_starting(html, "Ashford total") == [
        "Ashford total",
        "",
        "",
        "18",
        "13",
        "10",
        "72.2%",
        "5",
        "0",
    ]


def test_charts_never_draw_a_suppressed_value(report):
    html = page(report, "district-ashford.html")
    assert html.count("<svg") >= 2
    svg = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
    assert "Pupils on roll: 3" not in svg and "Pupils on roll: 10" not in svg
    assert re.search(r'class="symbol">c</tspan> / 6', svg)
    assert re.search(r'class="symbol">c</text>', svg)  # the occupancy bar's label


def test_school_page_and_missing_return(report):
    html = page(report, "school-100002.html")
    assert "Beta Primary School" in html
    assert 'href="district-ashford.html"' in html
    returns = row_starting(page(report, "index.html"), "Beta Primary School")  # returns table
    assert returns == ["Beta Primary School", "Ashford", "Not received", "c", "x", ""]


def test_generic_sections_light_up_with_disclosure_control(report):
    html = page(report, "index.html")
    travel = html[html.index('<section id="travel"') : html.index('<section id="finance"')]
    rows = table_rows(travel)
    assert rows[0] == [
        "Designation",
        "Pupils on roll",
        "Mean km",
        "Median km",
        "90th percentile km",
        "From another district",
        "Share from another district",
        "Distance unknown",
    ]
    # 2 pupils with an unknown distance are hidden, the averages over 34 pupils are not
    assert rows[1] == ["All", "36", "6.42", "5.10", "12.30", "9", "25.0%", "c"]
    assert rows[2][0] == "District"
    assert ["Ashford", "13", "4.10", "3.90", "7.00", "c", "c", "0"] in rows  # "All" rows
    assert ["Thanet", "7", "7.20", "6.80", "11.00", "c", "c", "0"] in rows
    school = page(report, "school-100002.html")
    travel = school[school.index('<section id="travel"') : school.index('<section id="finance"')]
    assert table_rows(travel)[1] == ["SLCN", "c", "c", "c", "c", "0", "c", "0"]


def test_absent_tables_and_columns_are_reported(report):
    html = page(report, "index.html")
    assert "Not yet available: external.srp_demand_forecast has not been built." in html
    assert "Section skipped: external.srp_finance has no column council_funding_gbp." in html


def test_methods_and_data_quality_appendices(report):
    html = page(report, "index.html")
    methods = html[html.index('<section id="methods"') : html.index('<section id="data-quality"')]
    for term in (
        "Census day",
        "On roll",
        "In an SRP",
        "Phase transfer",
        "20-week timeliness",
        "Annual review within 12 months",
        "Disclosure control",
    ):
        assert term.lower() in methods.lower(), term
    quality = html[html.index('<section id="data-quality"') :]
    assert ["synergy_person", "upn_check_letter", "error", "3"] in table_rows(quality)
    assert ("Returns for 2024/25: accepted from 3 of 4 SRP schools; not received from Beta "
            "Primary School.") in quality


def test_the_report_asset_depends_on_the_gold_tables_dbt_builds(tmp_path):
    import json

    import dagster as dg

    from orchestration.defs.report.assets import report_deps

    manifest = tmp_path / "manifest.json"
    nodes = {
        f"model.p.{name}": {"resource_type": "model", "name": name, "config": {"schema": schema}}
        for name, schema in (
            ("srp_places", "gold"),
            ("srp_travel", "gold"),
            ("silver_srp", "silver"),
            ("not_in_report", "gold"),
        )
    }
    manifest.write_text(json.dumps({"nodes": nodes}))
    assert report_deps(manifest) == [
        dg.AssetKey(["gold", "srp_places"]),
        dg.AssetKey(["gold", "srp_travel"]),
    ]
    assert report_deps(tmp_path / "absent.json") == []


def _section_rows(html: str, section: str, next_section: str) -> list[list[str]]:
    start = html.index(f'<section id="{section}"')
    return table_rows(html[start : html.index(f'<section id="{next_section}"')])


def test_pathway_destinations_show_the_releases_cells(report):
    rows = _section_rows(page(report, "index.html"), "pathways", "travel")
    # Kent: 3, 2 and 2 are counts of 1-4; the release also hides the same-designation 12
    assert rows[1] == ["All", "30", "c", "c", "6", "5", "c", "c", "0", "50.0%"]
    assert rows[3] == ["Ashford", "12", "6", "0", "c", "c", "c", "0", "0", "50.0%"]
    assert rows[4] == ["Dover", "18", "6", "c", "c", "c", "c", "c", "0", "50.0%"]
    assert rows[6] == ["All", "30", "40", "8", "22"]
    assert rows[9] == ["Dover", "18", "20", "4", "14"]


def test_kpis_show_rag_and_hide_it_with_small_or_hidden_counts(report):
    html = page(report, "index.html")
    assert _section_rows(html, "kpis", "returns") == [
        ["Indicator", "Value"], ["Overall", "Amber"], ["Occupancy", "87.8% Green"],
        ["Attendance", "91.5% Amber"], ["Annual reviews on time", "90.0% Green"],
        ["Outreach sessions", "12"],
    ]  # fmt: skip
    kpis = html[html.index('<section id="kpis"') : html.index('<section id="returns"')]
    assert '<span class="chip chip-amber">91.5% Amber</span>' in kpis
    assert '<span class="chip chip-green">87.8% Green</span>' in kpis
    # Alpha's pupils on roll are hidden in the places tables, so its occupancy (and the overall
    # status that grades it) is hidden here too; Beta has 3 pupils and 3 reviews due
    assert _section_rows(page(report, "district-ashford.html"), "kpis", "returns") == [
        ["School", "Overall", "Occupancy", "Attendance", "Annual reviews on time",
         "Outreach sessions"],
        ["Alpha Primary School", "c", "c", "95.0% Green", "100.0% Green", "3"],
        ["Beta Primary School", "c", "c", "x", "c", "0"],
    ]  # fmt: skip


def test_chart_axes_use_round_whole_steps():
    from orchestration.report.charts import nice_scale

    assert [nice_scale(v) for v in (7, 23, 36, 106.7, 140, 3, 0)] == [
        (8, 2), (25, 5), (40, 10), (125, 25), (150, 50), (3, 1), (1, 1),
    ]  # fmt: skip


def test_placement_by_age_shows_the_releases_cells_and_hides_a_total_over_a_hidden_one(report):
    rows = _section_rows(page(report, "index.html"), "placement-by-age", "timeliness")
    assert rows == [
        ["Age", "Independent school", "Mainstream school", "State-funded special school", "All"],
        # age 11: the 3 in special schools, and mainstream as the release hides it; the
        # independent cell has no row (nobody), so 0
        ["11", "0", "c", "c", "23"],
        # age 12: the 2 independent; holders at age 12 are hidden on that row, so "All" is c
        ["12", "c", "15", "9", "c"],
        ["Age", "Independent school", "Mainstream school", "State-funded special school"],
        ["11", "0.0%", "c", "c"],
        ["12", "c", "57.7%", "34.6%"],
    ]
