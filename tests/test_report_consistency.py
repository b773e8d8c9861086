"""Figures a reader compares across tables and pages say the same thing (issue 13 item 6).

1. Pupils on roll: gold.srp_finance counts the pupils of srp_places (a designation the register
   does not list, 'unknown' included, is on roll in both), so Key figures and Finance agree.
2. One vocabulary for returns: received (a workbook arrived) and accepted (read and passed
   validation), in tiles, tables, notes and the methods page.
3. A school whose return came in but was rejected is "Received, not accepted", not "none yet".
4. Partial calendar years: gold.ehcp_timeliness flags them (is_partial_year), the chart leaves
   them off Synergy's line and the table marks them.
5. Fractional Year 7 places carry their method (secondary SRP places / 5).
6. RAG chips say their status in words; the thresholds, read from the warehouse's reference
   data, stand beside the indicators.

Gold figures come from the hand-built scenarios of the exactness tests (tests/scenarios/), plus
what each case adds; report figures are parsed from the HTML pages of the internal edition
(gold, unsuppressed: these are definitions, not disclosure control).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from orchestration.report import build_report
from tests.scenarios import srp_scenario

Y23, Y24 = "2023/24", "2024/25"
S1 = srp_scenario.S1
# child 13: Year 8 in 2023/24, placed in Ashford High's SRP with no designation recorded; the
# school has two designations (ASD, SLCN), so the designation cannot be resolved: 'unknown'
UNKNOWN_CHILD = (13, 8, "Ashford", 600000, 147000)
UNKNOWN_PLAN = (130, 13, "2022-01-10", None, None)
UNKNOWN_PLACEMENT = (1301, 130, S1, None, "2023-09-04", None, "Y", None)


# Maidstone Primary (P2), which sent nothing for 2024/25 in the scenario, sends a return that
# fails validation: received, not accepted
REJECTED_RETURN = ("p2-2024", srp_scenario.P2, Y24, Y24, "2025-09-25", "invalid", 3, 0,
                   "2025-09-25 09:00:00")
SRP_MODELS = ("srp_places", "srp_finance", "srp_kpis", "srp_returns_reconciliation",
              "phase_transfer_pathways", "srp_demand_forecast")
GENERATED_AT = dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.timezone.utc)  # report year 2024/25


def write_scenario(con: duckdb.DuckDBPyConnection) -> None:
    srp_scenario.write_bronze(con)
    srp_scenario.write_children(con, [UNKNOWN_CHILD], [UNKNOWN_PLAN], [UNKNOWN_PLACEMENT])
    columns = ["_sha256", "urn", "_academic_year", "academic_year", "date_completed", "status",
               "error_count", "warning_count", "received_at"]
    con.execute(f"INSERT INTO bronze.return_submissions ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})", [str(v) for v in REJECTED_RETURN])


@pytest.fixture(scope="module")
def srp_warehouse(tmp_path_factory) -> Path:
    return srp_scenario.dbt_build(tmp_path_factory.mktemp("consistency_srp"), write_scenario,
                                  SRP_MODELS)


@pytest.fixture(scope="module")
def srp_report(srp_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("consistency_srp_report")
    return build_report(srp_warehouse, out, audience="internal", generated_at=GENERATED_AT).parent


def fetch(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------------
# 1. pupils on roll: one definition in srp_places and srp_finance
# ---------------------------------------------------------------------------------------------
# On roll on census day (scenario table + child 13):
#   2023/24: P1 7 (children 1, 2, 3, 6, 9, 11, 12), P2 2 (4, 5), S1 ASD 1 (7), SLCN 1 (8),
#            unknown 1 (13) -> Ashford 10, Maidstone 2, Kent 12
#   2024/25: P1 3 (9, 11, 12), P2 1 (10), S1 ASD 2 (1, 7), SLCN 2 (3, 8), unknown 1 (13)
#            -> Ashford 8, Maidstone 1, Kent 9
PUPILS_ON_ROLL = {
    (Y23, "county", "Kent"): 12, (Y23, "area", "South Kent"): 10,
    (Y23, "district", "Ashford"): 10, (Y23, "district", "Maidstone"): 2,
    (Y24, "county", "Kent"): 9, (Y24, "area", "South Kent"): 8,
    (Y24, "district", "Ashford"): 8, (Y24, "district", "Maidstone"): 1,
}


def test_finance_counts_the_pupils_on_roll_that_places_counts(srp_warehouse):
    places = fetch(srp_warehouse, """
        select academic_year, level, level_key, pupils_on_roll from gold.srp_places
        where level <> 'school' and phase = 'All' and designation = 'All'""")
    finance = fetch(srp_warehouse, """
        select academic_year, level, level_key, pupils_on_roll from gold.srp_finance
        where level <> 'school' and designation = 'All'""")
    expected = {**PUPILS_ON_ROLL, (Y23, "area", "West Kent"): 2, (Y24, "area", "West Kent"): 1}
    assert {r[:3]: r[3] for r in places} == expected
    assert {r[:3]: r[3] for r in finance} == expected


def test_an_unlisted_designation_is_on_roll_in_finance_and_funded_with_nothing(srp_warehouse):
    rows = fetch(srp_warehouse, f"""
        select academic_year, designation, srp_count, commissioned_places, pupils_on_roll,
               top_up_rate_gbp, council_place_funding_gbp, council_top_up_gbp,
               council_funding_gbp, srps_with_return, return_allocation_share,
               return_spend_total_gbp, return_pupils_on_roll
        from gold.srp_finance where level = 'school' and urn = '{S1}' order by 1, 2""")
    # S1: ASD 10 places (top-up 7,000), SLCN 5 places (8,000), place funding 10,000 a place;
    # 2023/24 has no current return (invalid), 2024/25 spend 177,000 shared 10:5 by places
    assert [tuple(float(v) if v is not None and not isinstance(v, str) else v for v in r)
            for r in rows] == [
        (Y23, "ASD", 1, 10, 1, 7000.0, 100000, 7000, 107000, 0, None, None, None),
        (Y23, "SLCN", 1, 5, 1, 8000.0, 50000, 8000, 58000, 0, None, None, None),
        (Y23, "unknown", 0, 0, 1, None, 0, 0, 0, 0, None, None, None),
        (Y24, "ASD", 1, 10, 2, 7000.0, 100000, 14000, 114000, 1, 0.6667, 118000, 2),
        (Y24, "SLCN", 1, 5, 2, 8000.0, 50000, 16000, 66000, 1, 0.3333, 59000, 2),
        (Y24, "unknown", 0, 0, 1, None, 0, 0, 0, 0, 0.0, 0, 1),
    ]


# ---------------------------------------------------------------------------------------------
# 4. partial calendar years in the timeliness table
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ehcp_warehouse(tmp_path_factory) -> Path:
    from tests.scenarios import ehcp_scenario

    return srp_scenario.dbt_build(
        tmp_path_factory.mktemp("consistency_ehcp"), ehcp_scenario.write_bronze,
        ("ehcp_timeliness",),
    )


def test_timeliness_flags_the_years_the_request_history_covers_in_part(ehcp_warehouse):
    # the EHCP scenario's first request is received on 3 May 2022 and its extract is of
    # 1 July 2024: 2022 and 2024 are partial, 2023 whole, 2015 (DfE only) not reached
    rows = fetch(ehcp_warehouse, """
        select distinct calendar_year, is_partial_year from gold.ehcp_timeliness order by 1""")
    assert rows == [(2015, False), (2022, True), (2023, False), (2024, True)]


@pytest.fixture(scope="module")
def ehcp_report(ehcp_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("consistency_ehcp_report")
    return build_report(ehcp_warehouse, out, audience="internal", generated_at=GENERATED_AT).parent


# ---------------------------------------------------------------------------------------------
# reading the pages as a reader would
# ---------------------------------------------------------------------------------------------
class _Tables(HTMLParser):
    """Every table of an HTML fragment: its caption, header and rows, as the texts shown."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._text: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "header": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th", "caption") and self._text is not None:
            text = " ".join("".join(self._text).split())
            table = self.tables[-1]
            if tag == "caption":
                table["caption"] = text
            elif self._in_head:
                table["header"].append(text)
            else:
                table["rows"][-1].append(text)
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def page(report: Path, name: str) -> str:
    return (report / name).read_text(encoding="utf-8")


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


def tables(html: str) -> list[dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table_starting(html: str, caption: str) -> dict:
    """The table captioned ``caption`` (else the one caption starting with it)."""
    found = [t for t in tables(html) if t["caption"] == caption] or [
        t for t in tables(html) if t["caption"].startswith(caption)]
    assert len(found) == 1, [t["caption"] for t in tables(html)]
    return found[0]


def column(table: dict, header: str, first_cell: str) -> str:
    """The cell under ``header`` in the row whose first cell is ``first_cell``."""
    row = next(r for r in table["rows"] if r[0] == first_cell)
    return row[table["header"].index(header)]


def tiles(html: str) -> dict[str, tuple[str, str]]:
    """Key-figure tiles: label -> (value, detail)."""
    found = re.findall(
        r'<div class="tile-label">(.*?)</div>\s*<div class="tile-value[^"]*">(.*?)</div>'
        r'(?:\s*<div class="tile-detail">(.*?)</div>)?', html, re.S)
    return {unescape(label): (unescape(value), unescape(detail)) for label, value, detail in found}


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# ---------------------------------------------------------------------------------------------
# 1 on the page: Key figures and Finance show one number of pupils on roll
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, pupils", [("index.html", "9"), ("district-ashford.html", "8")])
def test_key_figures_and_finance_show_the_same_pupils_on_roll(srp_report, name, pupils):
    html = page(srp_report, name)
    assert tiles(section(html, "summary"))["Pupils on roll"][0] == pupils
    funding = table_starting(section(html, "finance"), "Council funding")
    assert column(funding, "Pupils on roll", "All") == pupils
    assert "are on roll here in a row with no places and no rates" in text(section(html, "finance"))


# ---------------------------------------------------------------------------------------------
# 2 and 3: received / accepted, everywhere
# ---------------------------------------------------------------------------------------------
def test_key_figures_count_accepted_returns_and_name_the_rest(srp_report):
    county = tiles(section(page(srp_report, "index.html"), "summary"))
    assert county["Returns accepted"] == ("2", "of 3 SRP schools; 1 received, not accepted")
    assert "Returns received" not in county
    school = tiles(section(page(srp_report, f"school-{srp_scenario.P2}.html"), "summary"))
    assert school["Returns accepted"] == ("0", "of 1 SRP school; 1 received, not accepted")


def test_a_rejected_return_is_received_not_accepted_in_the_status_tables(srp_report):
    for name in ("index.html", "district-maidstone.html", f"school-{srp_scenario.P2}.html"):
        status = table_starting(section(page(srp_report, name), "returns"), "SRP returns for")
        assert column(status, "Return", "Maidstone Primary") == "Received, not accepted", name
    status = table_starting(section(page(srp_report, "index.html"), "returns"), "SRP returns for")
    assert [(r[0], r[2]) for r in status["rows"]] == [
        ("Ashford High", "Accepted"), ("Ashford Primary", "Accepted"),
        ("Maidstone Primary", "Received, not accepted")]


def test_the_data_quality_note_names_received_not_accepted(srp_report):
    quality = text(section(page(srp_report, "index.html"), "data-quality"))
    assert ("Returns for 2024/25: accepted from 2 of 3 SRP schools; received, not accepted from "
            "Maidstone Primary.") in quality
    assert "none yet" not in quality and "valid return" not in quality


def test_the_reconciliation_table_uses_the_same_words(srp_report):
    returns = table_starting(section(page(srp_report, "index.html"), "returns"),
                             "Returns (workbooks, every version)")
    # 2024/25: P1 and S1 accepted, P2's one workbook rejected with 3 errors; S1 1 warning
    assert returns["header"] == ["Schools expected", "Received", "Accepted", "Late", "Superseded",
                                 "Not readable", "Schools with none received", "Errors",
                                 "Warnings"]
    assert returns["rows"] == [["3", "3", "2", "0", "0", "0", "0", "3", "1"]]
    methods = text(section(page(srp_report, "index.html"), "methods"))
    assert "A return is received when its workbook arrives" in methods
    assert "It is accepted when it was read and passed validation" in methods
    kpis = table_starting(section(page(srp_report, "index.html"), "kpis"), "Indicators")
    assert column(kpis, "Value", "Schools with an accepted return") == "2"


# ---------------------------------------------------------------------------------------------
# 4 on the page: part years off the trend, marked in the table
# ---------------------------------------------------------------------------------------------
def test_the_timeliness_chart_leaves_part_years_off_synergys_line(ehcp_report):
    timeliness = section(page(ehcp_report, "index.html"), "timeliness")
    svg = re.search(r"<svg.*?</svg>", timeliness, re.S).group(0)
    years = re.findall(r'text-anchor="middle">(\d{4})</text>', svg)
    points = [unescape(t) for t in re.findall(r"<circle[^>]*><title>(.*?)</title>", svg)]
    # 2022 keeps the DfE's figures, 2024 has nothing but Synergy's part year
    assert years == ["2015", "2022", "2023"]
    assert [p for p in points if p.startswith("Kent (Synergy)")] == ["Kent (Synergy) 2023: 66.7%"]
    assert "part years left off Synergy's line: 2022, 2024" in unescape(svg)


def test_the_timeliness_table_marks_part_years(ehcp_report):
    table = table_starting(section(page(ehcp_report, "index.html"), "timeliness"), "Timeliness")
    assert table["header"][:2] == ["Year", "Part year"]
    assert [r[:2] for r in table["rows"]] == [
        ["2015", "No"], ["2022", "Yes"], ["2023", "No"], ["2024", "Yes"]]


# ---------------------------------------------------------------------------------------------
# 5: Year 7 places say how they are worked out
# ---------------------------------------------------------------------------------------------
def test_year7_places_carry_their_method(srp_report):
    html = page(srp_report, "index.html")
    gap = table_starting(section(html, "pathways"), (
        "Pathway gap: Year 6 pupils against Year 7 places, which are the places commissioned in "
        "secondary SRPs / 5 year groups (Years 7 to 11), so they can be a fraction"))
    assert "Year 7 places (secondary SRP places / 5)" in gap["header"]
    forecast = table_starting(section(html, "forecast"), (
        "Year 7 demand against places (Year 7 places = places commissioned in secondary SRPs / 5 "
        "year groups, so they can be a fraction)"))
    assert "Year 7 places (secondary SRP places / 5)" in forecast["header"]
    assert "8 places make 1.6 Year 7 places" in text(section(html, "methods"))


# ---------------------------------------------------------------------------------------------
# 6: RAG in words, thresholds beside the indicators
# ---------------------------------------------------------------------------------------------
CHIP = re.compile(r'<span class="chip chip-(red|amber|green)">(.*?)</span>')


def test_every_rag_chip_says_its_status_in_words(srp_report):
    kpis = section(page(srp_report, "index.html"), "kpis")
    chips = CHIP.findall(kpis)
    assert len(chips) >= 9  # the overall status and eight indicators, on the county row alone
    for colour, shown in chips:
        assert unescape(shown).split()[-1] == colour.capitalize(), shown
    indicators = table_starting(kpis, "Indicators")
    # 2024/25 county: attendance over the returns' pupils (P1 90, 95, 85; S1 96, 94, 92, 90)
    assert column(indicators, "Value", "Attendance") == "91.7% Amber"


THRESHOLDS = [
    ["Occupancy", "90% or more", "75% to under 90%", "under 75%"],
    ["Attendance", "92% or more", "88% to under 92%", "under 88%"],
    ["Suspension days per pupil", "0.5 or less", "over 0.5 up to 1.5", "over 1.5"],
    ["Permanently excluded", "0%", "over 0% up to 2%", "over 2%"],
    ["Timetable in mainstream", "50% or more", "30% to under 50%", "under 30%"],
    ["Annual reviews on time", "90% or more", "75% to under 90%", "under 75%"],
    ["Parents satisfied", "85% or more", "70% to under 85%", "under 70%"],
    ["Pupils meeting outcomes", "80% or more", "65% to under 80%", "under 65%"],
]


def test_the_rag_thresholds_stand_beside_the_indicators(srp_report):
    kpis = section(page(srp_report, "district-ashford.html"), "kpis")
    thresholds = table_starting(kpis, "RAG thresholds")
    assert thresholds["header"] == ["Indicator", "Green", "Amber", "Red"]
    assert thresholds["rows"] == THRESHOLDS
    assert kpis.index("RAG thresholds") > kpis.index("<caption>Indicators")


def test_the_thresholds_are_the_warehouses_reference_data(srp_warehouse, tmp_path):
    """A change to the seed's rows shows on the page: no threshold is written in Python."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(srp_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update reference.ref_kpi_thresholds set green_from = 95, amber_from = 80"
                    " where kpi = 'attendance_pct'")
    report = build_report(copy, tmp_path / "report", audience="internal",
                          generated_at=GENERATED_AT).parent
    thresholds = table_starting(section(page(report, "index.html"), "kpis"), "RAG thresholds")
    assert thresholds["rows"][1] == ["Attendance", "95% or more", "80% to under 95%", "under 80%"]
