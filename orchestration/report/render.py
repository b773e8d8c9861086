"""Pages of the report (county index, area and district packs, SRP school pages) and their HTML:
jinja2 templates under templates/, CSS and SVG inline, so every file opens offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from orchestration.contract import academic_year_start
from orchestration.report.council import ReportCouncil
from orchestration.report.data import REPORT_GOLD_TABLES, CascadeCounts, ReportData, report_year
from orchestration.report.disclosure import (
    NOT_APPLICABLE_CELL,
    NOT_AVAILABLE_CELL,
    count_cell,
    number_cell,
    text_cell,
)
from orchestration.report.generic import generic_section
from orchestration.report.model import (
    Column,
    HtmlTable,
    Note,
    Page,
    Place,
    Section,
    TableRow,
)
from orchestration.report.place_sections import (
    key_figures,
    places_section,
    returns_status_table,
)
from orchestration.report.appendix import release_audit_block
from orchestration.report.places import (
    ALL,
    REQUIRED_COLUMNS,
    SCHOOL_TOTAL,
    PublishedYear,
    publish_year,
)
from orchestration.report.kpi_thresholds import thresholds_table
from orchestration.report.returns_status import (
    ACCEPTED,
    NOT_RECEIVED,
    RECEIVED_NOT_ACCEPTED,
    RECONCILIATION_TABLE,
    return_statuses,
    status_of,
)
from orchestration.report.sections import KPIS, RECONCILIATION, SECTION_ORDER
from orchestration.sen2.coverage import methods_note, section_note

TEMPLATES = Path(__file__).parent / "templates"
REPORT_FILE_PATTERNS = ("index.html", "area-*.html", "district-*.html", "school-*.html")


def build_places(data: ReportData, year: str | None) -> list[Place]:
    """The county, its areas and districts (all of them, SRP or not), and each SRP school."""
    council = data.council
    places = [Place("county", council.name, council.name)]
    for area in council.areas:
        places.append(Place("area", area, area, area=area))
    for district, area in sorted(council.districts):
        places.append(Place("district", district, district, area=area, district=district))
    table = data.table("srp_places")
    if table is not None and year:
        schools = {
            r["urn"]: r for r in table.rows if r["level"] == "school" and r["academic_year"] == year
        }
        for urn, r in sorted(schools.items(), key=lambda kv: kv[1]["school_name"] or ""):
            places.append(
                Place(
                    "school",
                    str(urn),
                    r["school_name"] or str(urn),
                    area=r["area"],
                    district=r["district"],
                )
            )
    return places


def _places_years(data: ReportData) -> dict[str, PublishedYear]:
    table = data.table("srp_places")
    if table is None or table.missing(REQUIRED_COLUMNS):
        return {}
    years = sorted({r["academic_year"] for r in table.rows}, key=academic_year_start)
    return {y: publish_year(table, y) for y in years}


def _returns_section(
    data: ReportData,
    pub: PublishedYear | None,
    place: Place,
    links: dict[str, str],
    names: dict[str, str],
    year: str | None,
) -> Section:
    section = Section(
        "returns",
        "SRP returns",
        "gold.srp_places, gold.srp_returns_reconciliation",
        "Whether each SRP school's return for the year was received (a workbook arrived, "
        "read or not) and accepted (read and passed validation), and the pupils on roll its "
        "latest accepted return states against Synergy's count on census day.",
    )
    statuses = return_statuses(data.table(RECONCILIATION_TABLE), year)
    table = returns_status_table(pub, place, links, statuses) if pub else None
    if table:
        section.blocks.append(table)
    else:
        section.blocks.append(Note("No SRP schools here for the year.", "missing"))
    reconciliation = generic_section(data, RECONCILIATION, place, year, links, names)
    if reconciliation:
        section.blocks.append(Note(reconciliation.title, "heading"))
        section.blocks.extend(reconciliation.blocks)
    return section


def _children_table(
    place: Place, places: list[Place], pub: PublishedYear | None
) -> HtmlTable | None:
    """Navigation: the districts of the county or an area, the SRP schools of a district."""
    if place.level == "school":
        return None
    child_level = "school" if place.level == "district" else "district"
    children = [
        p
        for p in places
        if p.level == child_level
        and place.contains({"area": p.area, "district": p.district, "urn": p.key})
    ]
    if not children:
        return None
    rows = []
    for child in children:
        own = pub.get(child.level, child.key) if pub else None
        if own:
            figures = [own[c] for c in ("commissioned_places", "pupils_on_roll", "occupancy_pct")]
        elif pub:  # no SRP in the place this year
            figures = [number_cell(0), count_cell(0), NOT_APPLICABLE_CELL]
        else:
            figures = [NOT_AVAILABLE_CELL] * 3
        second = child.area if child_level == "district" else child.district
        rows.append(
            TableRow([text_cell(child.name), text_cell(second)] + figures, href=child.filename)
        )
    columns = [
        Column(child_level.capitalize(), False),
        Column("Area" if child_level == "district" else "District", False),
        Column("Places commissioned"),
        Column("Pupils on roll"),
        Column("Occupancy"),
    ]
    return HtmlTable(columns, rows, "Packs" if child_level == "district" else "SRP schools")


def _data_quality_section(data: ReportData, pub: PublishedYear | None) -> Section:
    section = Section(
        "data-quality",
        "Data-quality caveats",
        "bronze.load_errors, bronze.synergy_extracts, quality.check_history, gold tables",
    )
    section.blocks.append(release_audit_block(data.audit))
    missing = [t for t in REPORT_GOLD_TABLES if data.table(t) is None]
    if missing:
        section.blocks.append(
            Note(
                "Not yet available in the warehouse, so their sections are empty: "
                + ", ".join(f"{data.schema}.{t}" for t in missing)
                + ".",
                "warning",
            )
        )
    if pub:
        section.blocks.append(_returns_note(data, pub))
        unknown = pub.get("county", data.council.name, ALL, "unknown")
        if unknown:
            section.blocks.append(
                Note(
                    f"Pupils placed in an SRP whose designation could not be resolved: "
                    f"{unknown['pupils_on_roll'].text} (counted under 'unknown').",
                    "warning",
                )
            )
    rows = [
        TableRow(
            [text_cell(e.source), text_cell(e.rule), text_cell(e.severity), number_cell(e.errors)]
        )
        for e in data.load_errors
    ]
    if rows:
        section.blocks.append(
            HtmlTable(
                [
                    Column("Source", False),
                    Column("Rule", False),
                    Column("Severity", False),
                    Column("Rows"),
                ],
                rows,
                "Rows rejected or flagged when loading (bronze.load_errors)",
            )
        )
    else:
        section.blocks.append(Note("No load errors were recorded (bronze.load_errors).", "info"))
    if data.cascades:
        section.blocks.append(_cascades_block(data.cascades))
    section.blocks.append(_check_history_block(data))
    return section


def _returns_note(data: ReportData, pub: PublishedYear) -> Note:
    """How many SRP schools' returns were accepted, and which schools' were received but not
    accepted or not received at all (returns_status.py)."""
    statuses = return_statuses(data.table(RECONCILIATION_TABLE), pub.year)
    by_status: dict[str, list[str]] = {}
    for k in pub.select(SCHOOL_TOTAL):
        raw = pub.raw(k)
        status = status_of(statuses, raw["urn"], pub.has_return(k))
        by_status.setdefault(status, []).append(raw["school_name"] or raw["urn"])
    schools = sum(len(names) for names in by_status.values())
    others = [
        f"{label} from {', '.join(sorted(by_status[status]))}"
        for status, label in ((RECEIVED_NOT_ACCEPTED, "received, not accepted"),
                              (NOT_RECEIVED, "not received"))
        if by_status.get(status)
    ]
    return Note(
        f"Returns for {pub.year}: accepted from {len(by_status.get(ACCEPTED, []))} of "
        f"{schools} SRP schools" + "".join(f"; {o}" for o in others) + ".",
        "warning" if others else "info",
    )


def _cascades_block(cascades: CascadeCounts):
    """Children whose records left the figures because a row they depend on was rejected.
    Counts of children and their records: disclosure control applies (1-4 shown as c)."""
    extract = f"Synergy extract of {cascades.extract_date:%d %B %Y}"
    files = {name: n for name, n in cascades.rows_by_file.items() if n}
    if not cascades.children and not files:
        return Note(f"No records left the figures through a cascade in the {extract}.",
                    "info")
    rows = [TableRow([text_cell("Children with records removed"),
                      count_cell(cascades.children)], "total")]
    rows += [TableRow([text_cell(f"{name} rows"), count_cell(n)]) for name, n in files.items()]
    return HtmlTable(
        [Column("Left the figures through a cascade", False), Column("Count")],
        rows,
        f"Children whose records left the figures through a cascade, {extract}: rows rejected"
        " because a row they depend on was rejected (each error in bronze.load_errors names"
        " that row)",
    )


def _check_history_block(data: ReportData):
    history = data.check_history
    if history is None:
        return Note(
            "Check history (quality.check_history) is not kept in this warehouse yet.", "info"
        )
    status_col = next(
        (c for c in ("status", "outcome", "passed", "success") if c in history.columns), None
    )
    if status_col is None:
        return Note(f"quality.check_history holds {len(history.rows)} check results.", "info")
    counts: dict[str, int] = {}
    for row in history.rows:
        key = str(row.get(status_col))
        counts[key] = counts.get(key, 0) + 1
    return HtmlTable(
        [Column(status_col.capitalize(), False), Column("Checks")],
        [TableRow([text_cell(k), number_cell(v)]) for k, v in sorted(counts.items())],
        "Quality checks run (quality.check_history)",
    )


def _page_sections(
    data: ReportData,
    years: dict[str, PublishedYear],
    year: str | None,
    place: Place,
    places: list[Place],
    links: dict[str, str],
    names: dict[str, str],
) -> list[Section]:
    pub = years.get(year) if year else None
    statuses = return_statuses(data.table(RECONCILIATION_TABLE), year)
    sections = [key_figures(pub, place, statuses)]
    if years and year:
        sections.append(places_section(years, year, place, links))
    else:
        sections.append(
            Section(
                "places",
                "Places against commissioned",
                "gold.srp_places",
                blocks=[Note("Not yet available: gold.srp_places has not been built.", "missing")],
                available=False,
            )
        )
    for spec in SECTION_ORDER:
        if spec == "returns":
            sections.append(_returns_section(data, pub, place, links, names, year))
            continue
        section = generic_section(data, spec, place, year, links, names)
        if section and spec is KPIS and section.available:
            _add_kpi_thresholds(section, data)
        if section and (partial := section_note(data.coverage, section.id)):
            section.blocks.insert(0, Note(partial, "warning"))  # a single SEN2 return
        if section:
            sections.append(section)
    children = _children_table(place, places, pub)
    if children:
        title = (
            "SRP schools in the district"
            if place.level == "district"
            else "Area and district packs"
        )
        sections.insert(1, Section("packs", title, "", blocks=[children]))
    return sections


def _add_kpi_thresholds(section: Section, data: ReportData) -> None:
    """The RAG thresholds beside the indicators, for the figures the section shows."""
    labels = {column: label for view in KPIS.views for column, label in view.columns}
    table = thresholds_table(data.kpi_thresholds, labels)
    section.blocks.append(
        table
        if table
        else Note("The RAG thresholds (reference.ref_kpi_thresholds) are not loaded.", "missing")
    )


def build_pages(data: ReportData, today: dt.date) -> tuple[list[Page], str | None]:
    table = data.table("srp_places")
    as_of = data.as_of(today)
    year = report_year({r["academic_year"] for r in table.rows}, as_of) if table else None
    years = _places_years(data)
    places = build_places(data, year)
    links = {f"{p.level}:{p.key}": p.filename for p in places}
    names = {f"{p.level}:{p.key}": p.name for p in places}
    by_key = {(p.level, p.key): p for p in places}
    pages = []
    for place in places:
        crumbs = [(data.council.name, "index.html")]
        if place.area and place.level != "area":
            crumbs.append((place.area, by_key[("area", place.area)].filename))
        if place.district and place.level == "school":
            crumbs.append((place.district, by_key[("district", place.district)].filename))
        sections = _page_sections(data, years, year, place, places, links, names)
        if place.level == "county":
            sources = methods_note(data.coverage)  # SEN2 returns: what they cover
            sections.append(Section("methods", "Methods and definitions", "",
                                    blocks=[Note(sources, "info")] if sources else []))
            sections.append(_data_quality_section(data, years.get(year) if year else None))
        title = {
            "county": f"{data.council.name} county overview",
            "area": f"{place.name} area pack",
            "district": f"{place.name} district pack",
            "school": f"{place.name}",
        }[place.level]
        pages.append(Page(place, title, sections, crumbs if place.level != "county" else []))
    return pages, year


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["svg"] = Markup  # charts.py escapes every text it puts in an SVG
    return env


def render_pages(
    pages: list[Page],
    out_dir: Path,
    *,
    year: str | None,
    generated_at: dt.datetime,
    warehouse_name: str,
    extract_date: dt.date | None = None,
    marking: str | None = None,
    council: ReportCouncil | None = None,
) -> Path:
    """``council``: whose report it is (ReportData.council; the configured one when None)."""
    council = council or ReportCouncil.configured()
    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in REPORT_FILE_PATTERNS:
        for stale in out_dir.glob(pattern):
            stale.unlink()
    env = _environment()
    template = env.get_template("page.html")
    areas = [p.place for p in pages if p.place.level == "area"]
    for page in pages:
        html = template.render(
            page=page,
            year=year or "no year",
            areas=areas,
            generated_at=generated_at.strftime("%d %B %Y %H:%M UTC"),
            warehouse_name=warehouse_name,
            extract_date=extract_date.strftime("%d %B %Y").lstrip("0") if extract_date else None,
            marking=marking,
            council=council,
        )
        (out_dir / page.place.filename).write_text(html, encoding="utf-8")
    return out_dir / "index.html"
