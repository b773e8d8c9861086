"""What a report page is made of: places (county, area, district, school), sections, and the
blocks inside them (key figures, tables, charts, notes). Templates render these."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestration.report.disclosure import Cell

def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class RagCell(Cell):
    """A figure (or a status) shown on a red / amber / green chip."""

    rag: str = ""

    @property
    def rag_colour(self) -> str:
        first = self.rag.strip().lower()[:1]
        return {"r": "red", "a": "amber", "g": "green"}.get(first, "none")

    @property
    def chip_text(self) -> str:
        """What the chip says, so the status never rests on its colour alone: the status
        itself, or the figure followed by its status ("91.9% Green")."""
        status = self.rag.strip()
        if not status or self.text == status:
            return self.text
        return f"{self.text} {status}"


@dataclass(frozen=True)
class Place:
    """A node of the county > area > district > school tree and the file its page goes to."""

    level: str
    key: str  # the gold tables' level_key: the council's name (e.g. 'Kent'), area, district or URN
    name: str
    area: str | None = None
    district: str | None = None

    @property
    def filename(self) -> str:
        if self.level == "county":
            return "index.html"
        return f"{self.level}-{slug(self.key)}.html"

    @property
    def child_level(self) -> str | None:
        # the county page compares districts (the unit commissioners plan by), not areas
        return {"county": "district", "area": "district", "district": "school"}.get(self.level)

    def contains(self, row: dict) -> bool:
        """Whether a row at a lower level (with area / district columns) lies inside this place."""
        if self.level == "county":
            return True
        if self.level == "area":
            return row.get("area") == self.key
        if self.level == "district":
            return row.get("district") == self.key
        return row.get("urn") == self.key or row.get("level_key") == self.key


@dataclass
class Column:
    label: str
    numeric: bool = True


@dataclass
class TableRow:
    cells: list[Cell]
    kind: str = ""  # "", "subtotal" or "total"
    href: str | None = None  # link on the first cell


@dataclass
class HtmlTable:
    columns: list[Column]
    rows: list[TableRow]
    caption: str = ""
    kind: str = "table"


@dataclass
class Chart:
    svg: str
    kind: str = "chart"


@dataclass
class ChartGrid:
    charts: list[str]
    kind: str = "chart-grid"


@dataclass
class Note:
    text: str
    tone: str = "info"  # info | warning | missing
    kind: str = "note"


@dataclass
class Tile:
    label: str
    cell: Cell
    detail: str = ""


@dataclass
class Tiles:
    tiles: list[Tile]
    kind: str = "tiles"


@dataclass
class Section:
    id: str
    title: str
    source: str = ""
    intro: str = ""
    blocks: list = field(default_factory=list)
    available: bool = True


@dataclass
class Page:
    place: Place
    title: str
    sections: list[Section]
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)
    children: list[tuple[str, str, str]] = field(default_factory=list)  # (name, href, detail)
