"""Sections over the gold tables other than srp_places, driven by a spec per table (sections.py):
which columns are counts of people, which figures are built on them, which add up to which,
and the tables (views) to show. A column the spec does not name is classified by its name and
type, a table that is not built yet gives a "not yet available" note, and a missing required
column a "section skipped" note, so sections light up as the gold models land."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestration.report.data import ReportData, Table
from orchestration.report.disclosure import (
    NOT_AVAILABLE,
    NOT_AVAILABLE_CELL,
    SUPPRESSED,
    Cell,
    derived_cell,
    format_row,
    suppress_linked,
    text_cell,
)
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

ID_COLUMNS = (
    "level",
    "level_key",
    "area",
    "district",
    "urn",
    "srp_id",
    "school_name",
    "academic_year",
)
RATE_SUFFIXES = ("_pct", "_share", "_rate", "_percent", "_ratio")
MEAN_MARKERS = ("mean_", "median_", "avg_", "average_", "p90_", "p10_", "p50_", "_km", "per_pupil")
COMPARATOR_MARKERS = (
    "national",
    "england",
    "south_east",
    "dfe_",
    "published",
    "threshold",
    "target",
    "envelope_gbp",
)
GENERIC_WORDS = {
    "pupils",
    "pupil",
    "share",
    "pct",
    "rate",
    "percent",
    "ratio",
    "of",
    "with",
    "count",
    "number",
    "n",
    "total",
    "mean",
    "median",
    "avg",
    "average",
    "km",
    "to",
}
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
    counts: tuple[str, ...] = ()  # counts of people (others found by name)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)  # figure -> its counts
    # averages over a group of people: hidden when the group has 1-4 people (a hidden-for-
    # secondary-reasons base is fine: an average does not give its count away)
    means: dict[str, str] = field(default_factory=dict)  # figure -> the count it averages over
    plain: tuple[str, ...] = ()  # numbers that are not about people
    row_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (total, parts) in a row
    dims: tuple[str, ...] = ()  # label columns: a child row adds up to the own row with the same
    year_column: str = "academic_year"
    children_where: tuple[tuple[str, object], ...] = ()
    children_latest: bool = False  # children: the latest year_column value only
    split_by: str | None = None  # rows with one value (e.g. a dimension) are parts of a whole
    split_tables: bool = True  # ... and each gets its own table
    # label columns whose rows each make up a whole published elsewhere (default: split_by)
    wholes_by: tuple[str, ...] = ()
    wholes_of: tuple[str, ...] = ()  # the counts that add up to those wholes (default: all)
    whole_totals: dict[str, str] = field(default_factory=dict)  # whole_by -> column holding it
    views: tuple[View, ...] = ()
    rag: dict[str, str] = field(default_factory=dict)  # figure -> its RAG column
    overall_rag: str | None = None
    chart: object = None  # callable(spec, own rows, own cells, place) -> Chart | None
    # columns publishing srp_places' pupils on roll: hidden wherever srp_places hides it
    same_as_places: tuple[str, ...] = ()
    base_counts: tuple[str, ...] = ()  # fallback denominator for unnamed shares


@dataclass(frozen=True)
class Columns:
    dims: list[str]
    counts: list[str]
    derived: dict[str, list[str]]
    money: list[str]
    plain: list[str]
    flags: list[str]


def _first_value(table: Table, col: str):
    return next((r[col] for r in table.rows if r.get(col) is not None), None)


def _tokens(name: str) -> set[str]:
    return set(name.lower().split("_")) - GENERIC_WORDS


def _bases_of(col: str, counts: list[str], base: str | None) -> list[str]:
    """The counts a rate or mean is built on, told from its name: the base count, plus the
    count(s) sharing the most words with it. A rate whose numerator cannot be told depends on
    every count of the row, to be safe."""
    overlap = {c: len(_tokens(c) & _tokens(col)) for c in counts if c != base}
    best = max(overlap.values(), default=0)
    numerators = [c for c, n in overlap.items() if best and n == best]
    if col.lower().endswith(RATE_SUFFIXES) and not numerators:
        return list(counts)
    return ([base] if base else []) + numerators or list(counts)


def classify(table: Table, spec: GenericSpec) -> Columns:
    """Counts, derived figures, money, plain numbers, flags and labels of the table: as the spec
    says, else by name and type."""
    dims, counts, money, plain, flags, derived_names = [], [], [], [], [], []
    for col in table.columns:
        if col in ID_COLUMNS and col not in spec.dims:
            continue
        value = _first_value(table, col)
        name = col.lower()
        if col in spec.counts:
            counts.append(col)
        elif col in spec.derived or col in spec.means:
            derived_names.append(col)
        elif col in spec.plain:
            plain.append(col)
        elif isinstance(value, bool):
            flags.append(col)
        elif (
            value is None
            or not isinstance(value, (int, float))
            or name.endswith("rag")
            or name in ("age", "nc_year")
            or name.endswith("year")
            or name.endswith("date")
        ):
            dims.append(col)
        elif any(m in name for m in COMPARATOR_MARKERS):
            plain.append(col)
        elif "gbp" in name and "per_pupil" not in name:
            money.append(col)
        elif (
            name.endswith(RATE_SUFFIXES)
            or any(m in name for m in MEAN_MARKERS)
            or isinstance(value, float)
        ):
            derived_names.append(col)
        else:
            counts.append(col)
    base = next((b for b in spec.base_counts if b in counts), None)
    derived = {
        col: [b for b in spec.derived[col] if b in table.columns]
        if col in spec.derived
        else [spec.means[col]]
        if col in spec.means
        else _bases_of(col, counts, base)
        for col in derived_names
    }
    return Columns(dims, counts, derived, money, plain, flags)


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
# disclosure control over the rows shown
# ---------------------------------------------------------------------------------------------
def _adds_up(parts_rows: list[list], totals: list) -> bool:
    """Whether every total equals the sum of its parts (rows with a missing figure ignored)."""
    checked = False
    for parts, total in zip(parts_rows, totals):
        if total is None or any(p is None for p in parts):
            continue
        if abs(sum(parts) - total) > 1e-9:
            return False
        checked = True
    return checked


def _groups(rows: dict, cols: Columns, spec: GenericSpec, values: dict) -> list:
    """Every way the shown counts add up."""
    groups = []
    own_by_dims = {
        tuple(r.get(d) for d in spec.dims): rid for rid, r in rows.items() if rid[0] == "own"
    }
    children_by_dims: dict[tuple, list] = {}
    for rid, r in rows.items():
        if rid[0] == "child":
            children_by_dims.setdefault(tuple(r.get(d) for d in spec.dims), []).append(rid)
    for dims, members in children_by_dims.items():
        total_id = own_by_dims.get(dims)
        for c in cols.counts if total_id else ():
            parts = [(m, c) for m in members]
            if _adds_up([[values[p] for p in parts]], [values[(total_id, c)]]):
                groups.append((parts, (total_id, c)))
    for total, parts in spec.row_groups:
        for rid in rows:
            if total in cols.counts:
                groups.append(([(rid, p) for p in parts if p in cols.counts], (rid, total)))
    for whole_by in spec.wholes_by or ((spec.split_by,) if spec.split_by else ()):
        wholes: dict[tuple, list] = {}
        for rid, r in rows.items():
            wholes.setdefault((rid[0], r.get("level_key"), r.get(whole_by)), []).append(rid)
        for whole, members in wholes.items():
            for c in [c for c in cols.counts if c in (spec.wholes_of or cols.counts)]:
                if whole_by in spec.whole_totals:  # the whole is a column of the rows
                    total_id = (members[0], spec.whole_totals[whole_by])
                else:  # the whole is known: another breakdown of the same people adds up to it
                    total_id = (("whole", whole_by, *whole), c)
                    present = [values[(m, c)] for m in members if values[(m, c)] is not None]
                    values[total_id] = sum(present) if present else None
                groups.append(([(m, c) for m in members], total_id))
    return groups


def _same_whole_hidden(rows: dict, hidden: set, spec: GenericSpec) -> set:
    """A whole repeated on each of its rows (holders at an age) is hidden on all of them when it
    is hidden on the one disclosure control used."""
    out = set()
    for whole_by, col in spec.whole_totals.items():
        first: dict[tuple, tuple] = {}
        for rid, r in rows.items():
            key = (rid[0], r.get("level_key"), r.get(whole_by))
            first.setdefault(key, rid)
            if (first[key], col) in hidden:
                out.add((rid, col))
    return out


def _publish(
    own: list[dict],
    children: list[dict],
    cols: Columns,
    spec: GenericSpec,
    hidden_elsewhere: set[tuple[str, str, str]],
):
    rows = {("own", i): r for i, r in enumerate(own)} | {
        ("child", i): r for i, r in enumerate(children)
    }
    values = {(rid, c): r.get(c) for rid, r in rows.items() for c in cols.counts}
    already = [
        (rid, c)
        for rid, r in rows.items()
        for c in spec.same_as_places
        if (r.get("level"), str(r.get("level_key")), r.get("designation", "All"))
        in hidden_elsewhere
    ]
    hidden = suppress_linked(values, _groups(rows, cols, spec, values), already)
    hidden |= _same_whole_hidden(rows, hidden, spec)
    decimals = {c: _decimals(c, rows.values()) for c in [*cols.derived, *cols.plain]}

    def cells(rid, row):
        out = format_row(
            row,
            {c for (r, c) in hidden if r == rid},
            count_cols=cols.counts,
            rate_cols=cols.derived,
            money_cols=cols.money,
            plain_cols=cols.plain,
            decimals=decimals,
        )
        for col, base in spec.means.items():
            if col in out:
                out[col] = derived_cell(row.get(col), [row.get(base)], decimals=decimals[col])
        _as_percentages(row, out, cols)
        _apply_symbols(row, out, cols)
        _apply_rag(row, out, spec)
        return out

    return (
        [cells(("own", i), r) for i, r in enumerate(own)],
        [cells(("child", i), r) for i, r in enumerate(children)],
    )


def _decimals(col: str, rows) -> int:
    """Whole numbers as such; km to 2 decimals, pounds to none, other fractions to 1."""
    if "gbp" in col:
        return 0
    if col.endswith("_km"):
        return 2
    values = [r.get(col) for r in rows if r.get(col) is not None]
    return (
        0
        if all(isinstance(v, int) or float(v).is_integer() for v in values)
        and not col.endswith(RATE_SUFFIXES)
        else 1
    )


def _as_percentages(row: dict, cells: dict[str, Cell], cols: Columns) -> None:
    """Shares stored as 0-1 are shown as percentages; *_pct columns get a % sign."""
    for col in list(cols.derived) + cols.plain:
        cell = cells.get(col)
        if cell is None or cell.value is None:
            continue
        if col.endswith("_share"):
            cells[col] = Cell(f"{100 * row[col]:,.1f}%", round(100 * row[col], 1))
        elif col.endswith("_pct"):
            cells[col] = Cell(f"{row[col]:,.1f}%", round(row[col], 1))
        elif "gbp" in col:
            cells[col] = Cell(("-" if row[col] < 0 else "") + f"£{abs(row[col]):,.0f}", row[col])


def _apply_symbols(row: dict, cells: dict[str, Cell], cols: Columns) -> None:
    """A published figure whose source printed a GSS symbol instead (``<col>_symbol``)."""
    for col in cols.plain:
        symbol = row.get(f"{col}_symbol")
        if row.get(col) is None and symbol:
            cells[col] = Cell(str(symbol))


def _apply_rag(row: dict, cells: dict[str, Cell], spec: GenericSpec) -> None:
    """A figure's RAG chip, and the RAG hidden with the figure it grades."""
    hidden_graded = False
    for col, rag_col in spec.rag.items():
        if col not in cells:
            continue
        status = row.get(rag_col)
        if cells[col].is_symbol:
            hidden_graded = hidden_graded or (cells[col].is_suppressed and status is not None)
            cells[rag_col] = SUPPRESSED if cells[col].is_suppressed else text_cell(status)
            continue
        cells[col] = RagCell(cells[col].text, cells[col].value, rag=str(status or ""))
        cells[rag_col] = RagCell(str(status or ""), None, numeric=False, rag=str(status or ""))
    if spec.overall_rag and spec.overall_rag in row:
        status = row.get(spec.overall_rag)
        # the worst status over the figures: it could give away a hidden figure's grade
        cells[spec.overall_rag] = (
            SUPPRESSED
            if hidden_graded
            else RagCell(str(status or ""), None, numeric=False, rag=str(status or ""))
        )


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
def _default_view(table: Table, cols: Columns) -> View:
    shown = cols.dims + cols.flags + cols.counts + list(cols.derived) + cols.money + cols.plain
    return View("", tuple((c, label(c)) for c in shown if not c.endswith("_symbol")))


def _flag_cell(value) -> Cell:
    return Cell({True: "Yes", False: "No"}.get(value, "x"), None, numeric=False)


def _cell(row: dict, cells: dict[str, Cell], col: str, cols: Columns) -> Cell:
    if col in cols.flags:
        return _flag_cell(row.get(col))
    return cells.get(col, NOT_AVAILABLE_CELL)


def _numeric(col: str, cols: Columns) -> bool:
    return col in cols.counts or col in cols.derived or col in cols.money or col in cols.plain


def _view_table(
    view: View,
    rows: list[dict],
    cells: list[dict],
    cols: Columns,
    caption: str,
    lead: str | None,
    links: dict[str, str],
    names: dict[str, str],
) -> HtmlTable | None:
    shown = [
        (c, lbl)
        for c, lbl in view.columns
        if c in cols.dims + cols.flags + cols.counts + list(cols.derived) + cols.money + cols.plain
    ]
    picked = [(r, c) for r, c in zip(rows, cells) if _matches(r, view.where)]
    if not shown or not picked:
        return None
    if view.transposed and not lead and len(picked) == 1:
        row, cell = picked[0]
        return HtmlTable(
            [Column("Indicator", False), Column("Value")],
            [TableRow([text_cell(lbl), _cell(row, cell, c, cols)]) for c, lbl in shown],
            caption,
        )
    columns = ([Column(lead, False)] if lead else []) + [
        Column(lbl, _numeric(c, cols)) for c, lbl in shown
    ]
    out = []
    for row, cell in picked[:MAX_ROWS]:
        first, href = [], None
        if lead:
            ref = f"{row.get('level')}:{row.get('level_key')}"
            first = [text_cell(row.get("school_name") or names.get(ref) or row.get("level_key"))]
            href = links.get(ref)
        out.append(TableRow(first + [_cell(row, cell, c, cols) for c, _ in shown], href=href))
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
    """One figure laid out with a label column down and another across (e.g. age x placement)."""
    row_col, col_col, figure = view.pivot
    if not rows or any(c not in rows[0] for c in view.pivot):
        return None
    down = sorted({r[row_col] for r in rows}, key=_sort_key)
    across = sorted({r[col_col] for r in rows}, key=_sort_key)
    found = {
        (r[row_col], r[col_col]): c.get(figure, NOT_AVAILABLE_CELL) for r, c in zip(rows, cells)
    }
    totals: dict = {}
    for r, c in zip(rows, cells) if view.pivot_total else ():
        # the first row's: the one disclosure control treats as the total of the row's parts
        totals.setdefault(r[row_col], c.get(view.pivot_total, NOT_AVAILABLE_CELL))
    bases = {r[row_col]: r.get(view.pivot_share_of) for r in rows} if view.pivot_share_of else {}
    out = []
    for value in down:
        # no row for a combination = nobody in it
        absent = derived_cell(0.0, [bases[value]], suffix="%") if bases else Cell("0", 0.0)
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
    hidden_elsewhere: set[tuple[str, str, str]] | None = None,
) -> Section | None:
    """The section, a "not yet available" section, or None when it has no place on this page."""
    if place.level not in spec.levels:
        return None
    names = names or {}
    section = Section(spec.id, spec.title, f"gold.{spec.table}", spec.intro)
    table = data.table(spec.table)
    if table is None:
        section.available = False
        section.blocks.append(
            Note(f"Not yet available: gold.{spec.table} has not been built.", "missing")
        )
        return section
    missing = table.missing(spec.required)
    if missing:
        section.available = False
        section.blocks.append(
            Note(
                f"Section skipped: gold.{spec.table} has no column {', '.join(missing)}.", "missing"
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
    cols = classify(table, spec)
    own_cells, child_cells = _publish(own, children, cols, spec, hidden_elsewhere or set())
    if spec.chart and own:
        chart = spec.chart(spec, own, own_cells, place)
        if chart:
            section.blocks.append(Chart(chart))
    noun = {"district": "District", "school": "School"}.get(place.child_level or "", "Name")
    for view in spec.views or (_default_view(table, cols),):
        if view.pivot:
            built = _pivot_table(view, own, own_cells, view.caption)
            if built:
                section.blocks.append(built)
            continue
        for split, split_rows, split_cells in _split(own, own_cells, spec):
            caption = " - ".join(
                x for x in (view.caption or place.name, label(str(split)) if split else "") if x
            )
            built = _view_table(view, split_rows, split_cells, cols, caption, None, links, names)
            if built:
                section.blocks.append(built)
        if children and view.children and not spec.split_by:
            fixed = {k for k, v in spec.children_where if all(r.get(k) == v for r in children)}
            child_view = View(view.caption, tuple(c for c in view.columns if c[0] not in fixed))
            built = _view_table(
                child_view,
                children,
                child_cells,
                cols,
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
