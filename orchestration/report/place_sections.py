"""The sections built from gold.srp_places: key figures, places against commissioned, charts,
and the status of schools' returns."""

from __future__ import annotations

from orchestration.contract import academic_year_start
from orchestration.report import charts
from orchestration.report.disclosure import (
    NOT_AVAILABLE_CELL,
    Cell,
    computed_cell,
    difference_of,
    number_cell,
    text_cell,
)
from orchestration.report.model import (
    Chart,
    ChartGrid,
    Column,
    HtmlTable,
    Note,
    Place,
    Section,
    TableRow,
    Tile,
    Tiles,
)
from orchestration.report.places import ALL, SCHOOL_TOTAL, PublishedYear, RowKey
from orchestration.report.returns_status import ACCEPTED, RECEIVED_NOT_ACCEPTED, status_of

SOURCE = "gold.srp_places"

MEASURES = (
    ("srp_count", "SRPs"),
    ("commissioned_places", "Places commissioned"),
    ("pupils_on_roll", "On roll (Synergy)"),
    ("pupils_on_roll_returned", "On roll (school return)"),
    ("occupancy_pct", "Occupancy"),
    ("vacancies", "Vacancies"),
    ("over_subscription", "Pupils over places"),
)
GRID_CHART_WIDTH = 500
SRP_MEASURES = tuple(m for m in MEASURES if m[0] != "srp_count")


def _measure_cells(cells: dict[str, Cell], measures=MEASURES) -> list[Cell]:
    return [cells.get(col, NOT_AVAILABLE_CELL) for col, _ in measures]


def _measure_columns(measures=MEASURES) -> list[Column]:
    return [Column(label) for _, label in measures]


def _srp_label(row: dict, length: int = 42) -> str:
    """'School name (DES)', the name shortened so the designation always shows."""
    suffix = f" ({row['designation']})"
    name = row["school_name"] or row["urn"]
    room = length - len(suffix)
    return (name if len(name) <= room else name[: room - 1] + "…") + suffix


def _school_keys(pub: PublishedYear, place: Place) -> list[RowKey]:
    keys = [k for k in pub.select("school") if place.contains(pub.raw(k))]
    return sorted(
        keys, key=lambda k: (pub.raw(k)["district"] or "", pub.raw(k)["school_name"] or "", k[3])
    )


def _district_keys(pub: PublishedYear, place: Place, phase: str = ALL) -> list[RowKey]:
    keys = [
        k
        for k in pub.select("district", phase=phase, designation=ALL)
        if place.contains(pub.raw(k))
    ]
    return sorted(keys, key=lambda k: k[1])


def _own(pub: PublishedYear, place: Place, phase: str = ALL, designation: str = ALL):
    return pub.get(place.level, place.key, phase, designation)


# -------------------------------------------------------------------------------------------
# key figures
# -------------------------------------------------------------------------------------------
def _statuses(pub: PublishedYear, place: Place, statuses: dict[str, str] | None) -> list[str]:
    """The return status of each SRP school inside the place (returns_status.py)."""
    schools = [k for k in pub.select(SCHOOL_TOTAL) if place.contains(pub.raw(k))]
    return [status_of(statuses, pub.raw(k)["urn"], pub.has_return(k)) for k in schools]


def _returns_detail(statuses: list[str]) -> str:
    not_accepted = statuses.count(RECEIVED_NOT_ACCEPTED)
    schools = "SRP school" if len(statuses) == 1 else "SRP schools"
    return f"of {len(statuses)} {schools}" + (
        f"; {not_accepted} received, not accepted" if not_accepted else ""
    )


def key_figures(
    pub: PublishedYear | None, place: Place, return_statuses: dict[str, str] | None = None
) -> Section:
    section = Section("summary", "Key figures", SOURCE)
    own = _own(pub, place) if pub else None
    if own is None:
        section.blocks.append(Note("No SRP places are recorded here for the year.", "missing"))
        return section
    statuses = _statuses(pub, place, return_statuses)
    section.intro = f"Academic year {pub.year}, pupils on roll on the January census day."
    section.blocks.append(
        Tiles(
            [
                Tile(
                    "Places commissioned",
                    own["commissioned_places"],
                    f"in {own['srp_count'].text} SRP designations" if "srp_count" in own else "",
                ),
                Tile("Pupils on roll", own["pupils_on_roll"], "Synergy, census day"),
                Tile("Occupancy", own["occupancy_pct"], "on roll / commissioned"),
                Tile("Vacancies", own["vacancies"], "empty commissioned places"),
                Tile(
                    "Returns accepted",
                    number_cell(statuses.count(ACCEPTED)),
                    _returns_detail(statuses),
                ),
            ]
        )
    )
    return section


# -------------------------------------------------------------------------------------------
# places against commissioned
# -------------------------------------------------------------------------------------------
def _comparison_table(pub: PublishedYear, place: Place, pages: dict[str, str]) -> HtmlTable:
    """Districts (county, area pages), SRPs (district page) or designations (school page),
    with the place's total as the last row."""
    if place.level in ("county", "area"):
        keys = _district_keys(pub, place)
        rows = [
            TableRow(
                [text_cell(k[1])] + _measure_cells(pub.cells[k]), href=pages.get(f"district:{k[1]}")
            )
            for k in keys
        ]
        columns = [Column("District", False)] + _measure_columns()
        caption = "SRP places by district (the school's district)"
    else:
        keys = _school_keys(pub, place)
        rows = [
            TableRow(
                [text_cell(pub.raw(k)["school_name"]), text_cell(k[2]), text_cell(k[3])]
                + _measure_cells(pub.cells[k], SRP_MEASURES),
                href=pages.get(f"school:{pub.raw(k)['urn']}") if place.level != "school" else None,
            )
            for k in keys
        ]
        columns = [
            Column("School", False),
            Column("Phase", False),
            Column("Designation", False),
        ] + _measure_columns(SRP_MEASURES)
        caption = "SRP places by SRP (school and designation)"
    own = _own(pub, place)
    measures = MEASURES if place.level in ("county", "area") else SRP_MEASURES
    lead = [text_cell(f"{place.name} total")] + [text_cell("")] * (len(columns) - len(measures) - 1)
    rows.append(TableRow(lead + _measure_cells(own, measures), kind="total"))
    return HtmlTable(columns, rows, caption)


def _phase_designation_table(pub: PublishedYear, place: Place) -> HtmlTable | None:
    own_keys = [k for k in pub.rows if k[0] == place.level and k[1] == place.key]
    phases = sorted({k[2] for k in own_keys if k[2] != ALL})
    if not phases:
        return None
    rows = []
    for phase in phases:
        designations = sorted(k[3] for k in own_keys if k[2] == phase and k[3] != ALL)
        for designation in designations:
            cells = pub.cells[(place.level, place.key, phase, designation)]
            rows.append(
                TableRow([text_cell(phase), text_cell(designation)] + _measure_cells(cells))
            )
        rows.append(
            TableRow(
                [text_cell(phase), text_cell("All designations")]
                + _measure_cells(_own(pub, place, phase)),
                kind="subtotal",
            )
        )
    rows.append(
        TableRow(
            [text_cell("All phases"), text_cell("All designations")]
            + _measure_cells(_own(pub, place)),
            kind="total",
        )
    )
    columns = [Column("Phase", False), Column("Designation", False)] + _measure_columns()
    return HtmlTable(columns, rows, "Places by SRP phase and designation")


def _bullet_rows(pub: PublishedYear, keys: list[RowKey], label) -> list[charts.BulletRow]:
    return [
        charts.BulletRow(
            label(k), pub.cells[k]["commissioned_places"], pub.cells[k]["pupils_on_roll"]
        )
        for k in keys
    ]


def _places_charts(pub: PublishedYear, place: Place) -> list:
    blocks: list = []
    if place.level in ("county", "area"):
        phases = sorted({k[2] for k in pub.select("district") if k[2] != ALL})
        grid = []
        for phase in phases:
            keys = _district_keys(pub, place, phase)
            if keys:
                grid.append(
                    charts.bullet_chart(
                        _bullet_rows(pub, keys, lambda k: k[1]),
                        title=f"{phase} SRPs: pupils on roll against places, by district",
                        width=GRID_CHART_WIDTH,
                        label_width=150,
                    )
                )
        if grid:
            blocks.append(ChartGrid(grid))
    srp_keys = _school_keys(pub, place)
    if place.level in ("district", "school") and srp_keys:
        blocks.append(
            Chart(
                charts.bullet_chart(
                    _bullet_rows(pub, srp_keys, lambda k: _srp_label(pub.raw(k))),
                    title="Pupils on roll against places, by SRP",
                )
            )
        )
    if place.level == "county":
        keys = _district_keys(pub, place)
        bars = [(k[1], pub.cells[k]["occupancy_pct"]) for k in keys]
        title = "Occupancy by district"
    else:
        bars = [(_srp_label(pub.raw(k)), pub.cells[k]["occupancy_pct"]) for k in srp_keys]
        title = "Occupancy by SRP"
    if bars:
        blocks.append(Chart(charts.percent_bars(bars, title=title)))
    return blocks


def _trend_chart(years: dict[str, PublishedYear], report_year: str, place: Place) -> Chart | None:
    labels, places, pupils = [], [], []
    for year, pub in years.items():
        if academic_year_start(year) > academic_year_start(report_year):
            break  # census days the data does not cover yet
        own = _own(pub, place)
        if own is None:
            continue
        labels.append(year)
        places.append(own["commissioned_places"])
        pupils.append(own["pupils_on_roll"])
    if len(labels) < 2:
        return None
    return Chart(
        charts.line_chart(
            labels,
            {"Places commissioned": places, "Pupils on roll": pupils},
            title="Places commissioned and pupils on roll, by academic year",
        )
    )


def places_section(
    years: dict[str, PublishedYear], year: str, place: Place, pages: dict[str, str]
) -> Section:
    section = Section("places", "Places against commissioned", SOURCE)
    pub = years.get(year)
    if pub is None or _own(pub, place) is None:
        section.blocks.append(Note(f"No SRP places are recorded here for {year}.", "missing"))
        return section
    section.intro = (
        "Places the council commissions in each SRP against pupils on the SRP roll on census day "
        "(Synergy) and as the school's return states them. District is the school's district."
    )
    section.blocks.extend(_places_charts(pub, place))
    section.blocks.append(_comparison_table(pub, place, pages))
    if place.level != "school":
        table = _phase_designation_table(pub, place)
        if table:
            section.blocks.append(table)
    trend = _trend_chart(years, year, place)
    if trend:
        section.blocks.append(trend)
    return section


# -------------------------------------------------------------------------------------------
# returns: accepted, received or not (returns_status.py), and the school's count against
# Synergy's
# -------------------------------------------------------------------------------------------
def returns_status_table(
    pub: PublishedYear,
    place: Place,
    pages: dict[str, str],
    return_statuses: dict[str, str] | None = None,
) -> HtmlTable | None:
    keys = sorted(
        (k for k in pub.select(SCHOOL_TOTAL) if place.contains(pub.raw(k))),
        key=lambda k: (pub.raw(k)["district"] or "", pub.raw(k)["school_name"] or ""),
    )
    if not keys:
        return None
    rows = []
    for k in keys:
        raw, cells = pub.raw(k), pub.cells[k]
        has_figures = pub.has_return(k)  # its latest accepted return's places figures
        synergy, returned = (
            cells["pupils_on_roll"],
            cells.get("pupils_on_roll_returned", NOT_AVAILABLE_CELL),
        )
        difference = (
            computed_cell([returned, synergy], difference_of) if has_figures else text_cell("")
        )
        rows.append(
            TableRow(
                [
                    text_cell(raw["school_name"]),
                    text_cell(raw["district"]),
                    Cell(status_of(return_statuses, raw["urn"], has_figures), None,
                         numeric=False),
                    synergy,
                    returned,
                    difference,
                ],
                href=pages.get(f"school:{raw['urn']}"),
            )
        )
    columns = [
        Column("School", False),
        Column("District", False),
        Column("Return", False),
        Column("On roll (Synergy)"),
        Column("On roll (return)"),
        Column("Difference"),
    ]
    return HtmlTable(
        columns, rows, f"SRP returns for {pub.year} (on roll: the latest accepted return)"
    )
