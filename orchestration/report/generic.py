"""Sections over the gold tables other than srp_places, driven by a spec per table (sections.py):
the tables (views) to show, their labels and intro. Which columns are figures, and whether each
is shown, comes from the declarations and the release's flags (figures.py), never from the
section. A table that is not built yet gives a "not yet available" note, and a missing
required column a "section skipped" note, so sections light up as the gold models land."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from orchestration.report.data import ReportData, Table
from orchestration.report.disclosure import (
    NOT_AVAILABLE,
    NOT_AVAILABLE_CELL,
    Cell,
    computed_cell,
    number_cell,
    percent_cell,
    text_cell,
)
from orchestration.report.figures import figure_columns, row_cells
from orchestration.report.model import (
    Chart,
    Column,
    HtmlTable,
    Note,
    Place,
    RagCell,
    Section,
    TableRow,
)

MAX_ROWS = 400


@dataclass(frozen=True)
class View:
    """One table of a section: ``columns`` as (column, label); ``where`` keeps the rows whose
    columns equal the given values; ``transposed`` shows one row as indicator / value lines."""

    caption: str
    columns: tuple[tuple[str, str], ...]
    where: tuple[tuple[str, object], ...] = ()
    transposed: bool = False
    children: bool = True  # also show the rows of the place's districts / schools
    pivot: tuple[str, str, str] | None = None  # (row label column, column label column, figure)
    pivot_total: str | None = None  # a figure of each row shown as a last "All" column
    pivot_share_of: str | None = None  # the figure is a share of this count (absent cell = 0%)


@dataclass(frozen=True)
class GenericSpec:
    id: str
    title: str
    table: str
    intro: str
    levels: tuple[str, ...] = ("county", "area", "district", "school")
    required: tuple[str, ...] = ()
    dims: tuple[str, ...] = ()  # label columns of the rows (shown as text, sorted by)
    year_column: str = "academic_year"
    children_where: tuple[tuple[str, object], ...] = ()
    children_latest: bool = False  # children: the latest year_column value only
    split_by: str | None = None  # rows with one value (e.g. a dimension) are parts of a whole
    split_tables: bool = True  # ... and each gets its own table
    views: tuple[View, ...] = ()
    rag: dict[str, str] = field(default_factory=dict)  # figure -> its RAG column
    overall_rag: str | None = None
    chart: object = None  # callable(spec, own rows, own cells, place) -> Chart | None
    words: tuple[tuple[str, str], ...] = ()  # {la} and {region} in texts, set by for_council

    def say(self, text: str) -> str:
        """``text`` with {la} (the council's name) and {region} (its DfE region) filled in."""
        for key, value in self.words:
            text = text.replace("{" + key + "}", value)
        return text

    def for_council(self, council) -> "GenericSpec":
        """The spec with its title, intro and labels naming ``council`` (a ReportCouncil)."""
        spec = replace(self, words=(("la", council.name), ("region", council.region)))
        views = tuple(
            replace(v, caption=spec.say(v.caption), columns=tuple((c, spec.say(t)) for c, t in v.columns))
            for v in self.views
        )
        return replace(spec, title=spec.say(self.title), intro=spec.say(self.intro), views=views)


def label(col: str) -> str:
    text = col.replace("_", " ").strip()
    for old, new in (
        ("pct", "%"),
        ("gbp", "(£)"),
        ("km", "(km)"),
        ("srp", "SRP"),
        ("srps", "SRPs"),
        ("ehcp", "EHCP"),
        ("rag", "RAG"),
        ("nc", "NC"),
    ):
        text = " ".join(new if w == old else w for w in text.split(" "))
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------------
def _matches(row: dict, where) -> bool:
    return all(row.get(k) == v for k, v in where)


def _year(table: Table, spec: GenericSpec, year: str | None) -> tuple[bool, str | None]:
    """Whether the table is chosen by academic year, and the year shown: the report year, or
    the table's latest year up to it when it has no row for it."""
    col = spec.year_column
    if col not in table.columns or col not in ("academic_year", "entry_year"):
        return False, None
    years = sorted(key[0] for key in table.grouped(col) if key[0])
    upto = [y for y in years if year is None or y <= year]
    return True, year if year in years else (upto[-1] if upto else (years[-1] if years else None))


def _rows_at(table: Table, spec: GenericSpec, by_year: bool, chosen: str | None,
             *columns: str, values: tuple = ()) -> list[dict]:
    """The chosen year's rows (all rows when not by year) with ``columns`` equal to
    ``values`` (compared as text)."""
    if by_year:
        return table.grouped(spec.year_column, *columns).get((chosen, *values), [])
    return table.grouped(*columns).get(tuple(values), []) if columns else list(table.rows)


def _select(table: Table, place: Place, spec: GenericSpec, by_year: bool, chosen: str | None):
    """(own rows, children rows) of the place, or None when the table has nothing for pages of
    this level."""
    if not table.has("level", "level_key"):
        return (_rows_at(table, spec, by_year, chosen), []) if place.level == "county" else None
    own = list(_rows_at(table, spec, by_year, chosen, "level", "level_key",
                        values=(place.level, str(place.key))))
    child = place.child_level
    children = [r for r in _rows_at(table, spec, by_year, chosen, "level", values=(child,))
                if place.contains(r)] if child else []
    preferred = [r for r in children if _matches(r, spec.children_where)]
    children = preferred or children  # e.g. the 'All' rows of districts; schools have none
    if spec.children_latest and children and spec.year_column in table.columns:
        latest = max(r[spec.year_column] for r in children)
        children = [r for r in children if r[spec.year_column] == latest]
    own.sort(key=lambda r: _dims_key(r, spec))
    children.sort(
        key=lambda r: (str(r.get("school_name") or r.get("level_key")), _dims_key(r, spec))
    )
    return own, children


def _dims_key(row: dict, spec: GenericSpec) -> tuple:
    """Label order: 'All' first, then numbers and names in order."""
    return tuple((row.get(d) != "All", _sort_key(row.get(d))) for d in spec.dims)


# ---------------------------------------------------------------------------------------------
# cells: the release's figures, RAG chips
# ---------------------------------------------------------------------------------------------
def _cells(table: Table, rows: list[dict], spec: GenericSpec) -> list[dict[str, Cell]]:
    out = []
    for row in rows:
        cells = row_cells(table, row, spec.dims)
        _apply_rag(cells, spec)
        out.append(cells)
    return out


def _apply_rag(cells: dict[str, Cell], spec: GenericSpec) -> None:
    """A shown status on a red / amber / green chip, with the figure it grades; a status the
    release hides (or lacks) stays its symbol."""
    graded = [*spec.rag.items(), *([(None, spec.overall_rag)] if spec.overall_rag else [])]
    for figure, rag_col in graded:
        status = cells.get(rag_col)
        if status is None or status.is_symbol:
            continue
        cells[rag_col] = RagCell(status.text, None, numeric=False, rag=status.text)
        shown = cells.get(figure) if figure else None
        if shown is not None and not shown.is_symbol:
            cells[figure] = RagCell(shown.text, shown.value, rag=status.text)


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
def _default_view(table: Table, spec: GenericSpec) -> View:
    shown = [*spec.dims, *figure_columns(table, spec.dims)]
    return View("", tuple((c, label(c)) for c in shown))


def _view_table(
    view: View,
    rows: list[dict],
    cells: list[dict],
    numeric: set[str],
    caption: str,
    lead: str | None,
    links: dict[str, str],
    names: dict[str, str],
) -> HtmlTable | None:
    """``numeric``: the figure columns (right-aligned); the others a view names are labels."""
    shown = [(c, lbl) for c, lbl in view.columns if cells and c in cells[0]]
    picked = [(r, c) for r, c in zip(rows, cells) if _matches(r, view.where)]
    if not shown or not picked:
        return None
    if view.transposed and not lead and len(picked) == 1:
        row, cell = picked[0]
        return HtmlTable(
            [Column("Indicator", False), Column("Value")],
            [TableRow([text_cell(lbl), cell.get(c, NOT_AVAILABLE_CELL)]) for c, lbl in shown],
            caption,
        )
    columns = ([Column(lead, False)] if lead else []) + [
        Column(lbl, c in numeric) for c, lbl in shown
    ]
    out = []
    for row, cell in picked[:MAX_ROWS]:
        first, href = [], None
        if lead:
            ref = f"{row.get('level')}:{row.get('level_key')}"
            first = [text_cell(row.get("school_name") or names.get(ref) or row.get("level_key"))]
            href = links.get(ref)
        out.append(TableRow(first + [cell.get(c, NOT_AVAILABLE_CELL) for c, _ in shown],
                            href=href))
    return _without_empty_columns(HtmlTable(columns, out, caption))


def _without_empty_columns(table: HtmlTable) -> HtmlTable:
    """Drops the figure columns that are 'x' (not available) on every row."""
    keep = [
        i for i, column in enumerate(table.columns)
        if not column.numeric or any(row.cells[i].text != NOT_AVAILABLE for row in table.rows)
    ]  # fmt: skip
    table.columns = [table.columns[i] for i in keep]
    for row in table.rows:
        row.cells = [row.cells[i] for i in keep]
    return table


def _pivot_table(view: View, rows: list[dict], cells: list[dict], caption: str) -> HtmlTable | None:
    """One figure laid out with a label column down and another across (e.g. age x placement).
    The "All" column and the 0% of an absent combination are computed from the rows' figures,
    so they are hidden wherever one of those is."""
    row_col, col_col, figure = view.pivot
    if not rows or any(c not in rows[0] for c in view.pivot):
        return None
    down = sorted({r[row_col] for r in rows}, key=_sort_key)
    across = sorted({r[col_col] for r in rows}, key=_sort_key)
    found = {
        (r[row_col], r[col_col]): c.get(figure, NOT_AVAILABLE_CELL) for r, c in zip(rows, cells)
    }

    def of_row(column: str) -> dict:
        """A figure repeated on every row of a label (holders at an age), as one cell."""
        repeated: dict = {}
        for r, c in zip(rows, cells):
            repeated.setdefault(r[row_col], []).append(c.get(column, NOT_AVAILABLE_CELL))
        return {k: computed_cell(v, lambda *values: values[0]) for k, v in repeated.items()}

    totals = of_row(view.pivot_total) if view.pivot_total else {}
    wholes = of_row(view.pivot_share_of) if view.pivot_share_of else {}
    out = []
    for value in down:
        # no row for a combination = nobody in it
        absent = (
            computed_cell([wholes[value]], lambda _: 0.0, percent_cell)
            if wholes else number_cell(0)
        )
        line = [text_cell(value)] + [found.get((value, a), absent) for a in across]
        out.append(TableRow(line + ([totals[value]] if totals else [])))
    columns = (
        [Column(label(row_col), False)]
        + [Column(str(a)) for a in across]
        + ([Column("All")] if totals else [])
    )
    return HtmlTable(columns, out, caption)


def _sort_key(value) -> tuple:
    """Numbers in order, then text in natural order ('Under 5', '5 to 10', '11 to 15')."""
    if isinstance(value, (int, float)):
        return (0, (value,))
    text = str(value).lower()
    parts = tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p
    )
    return (1, (not text.startswith("under"), parts))


def _split(rows: list[dict], cells: list[dict], spec: GenericSpec):
    """(value, rows, cells) per value of spec.split_by, in first-seen order."""
    if not spec.split_by or not spec.split_tables:
        return [(None, rows, cells)]
    order: dict = {}
    for r, c in zip(rows, cells):
        order.setdefault(r.get(spec.split_by), ([], []))
        order[r.get(spec.split_by)][0].append(r)
        order[r.get(spec.split_by)][1].append(c)
    return [(k, v[0], v[1]) for k, v in order.items()]


def generic_section(
    data: ReportData,
    spec: GenericSpec,
    place: Place,
    year: str | None,
    links: dict[str, str],
    names: dict[str, str] | None = None,
) -> Section | None:
    """The section, a "not yet available" section, or None when it has no place on this page."""
    if place.level not in spec.levels:
        return None
    spec = spec.for_council(data.council)
    names = names or {}
    source = f"{data.schema}.{spec.table}"
    section = Section(spec.id, spec.title, source, spec.intro)
    table = data.table(spec.table)
    if table is None:
        section.available = False
        section.blocks.append(
            Note(f"Not yet available: {source} has not been built.", "missing")
        )
        return section
    missing = table.missing(spec.required)
    if missing:
        section.available = False
        section.blocks.append(
            Note(
                f"Section skipped: {source} has no column {', '.join(missing)}.", "missing"
            )
        )
        return section
    by_year, chosen = _year(table, spec, year)
    selected = _select(table, place, spec, by_year, chosen)
    if selected is None:
        return None
    own, children = selected
    if not own and not children:
        section.blocks.append(
            Note(f"No figures for {place.name}" + (f" in {chosen}." if chosen else "."), "missing")
        )
        return section
    if chosen and chosen != year:
        section.blocks.append(Note(f"Latest year in this table: {chosen}.", "info"))
    own_cells, child_cells = _cells(table, own, spec), _cells(table, children, spec)
    numeric = set(figure_columns(table, spec.dims))
    if spec.chart and own:
        chart = spec.chart(spec, own, own_cells, place)
        if chart:
            section.blocks.append(Chart(chart))
    noun = {"district": "District", "school": "School"}.get(place.child_level or "", "Name")
    for view in spec.views or (_default_view(table, spec),):
        if view.pivot:
            built = _pivot_table(view, own, own_cells, view.caption)
            if built:
                section.blocks.append(built)
            continue
        for split, split_rows, split_cells in _split(own, own_cells, spec):
            caption = " - ".join(
                x for x in (view.caption or place.name, label(str(split)) if split else "") if x
            )
            built = _view_table(view, split_rows, split_cells, numeric, caption, None, links, names)
            if built:
                section.blocks.append(built)
        if children and view.children and not spec.split_by:
            fixed = {k for k, v in spec.children_where if all(r.get(k) == v for r in children)}
            child_view = View(view.caption, tuple(c for c in view.columns if c[0] not in fixed))
            built = _view_table(
                child_view,
                children,
                child_cells,
                numeric,
                f"{view.caption or spec.title} by {noun.lower()}",
                noun,
                links,
                names,
            )
            if built:
                section.blocks.append(built)
    if len(children) > MAX_ROWS:
        section.blocks.append(Note(f"First {MAX_ROWS} of {len(children)} rows shown.", "info"))
    return section
