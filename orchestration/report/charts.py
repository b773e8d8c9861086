"""Inline SVG charts (no scripts, no fonts, no external files), drawn from disclosure Cells only:
a suppressed figure has no value, so it is drawn as a "c" label and never as a bar or point."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape

from orchestration.report.disclosure import Cell

WIDTH = 1000
LABEL_WIDTH = 270
VALUE_WIDTH = 80
ROW_HEIGHT = 24
BAR_HEIGHT = 14
TOP = 34
FONT = 'font-family="Arial, Helvetica, sans-serif"'

TRACK_COLOUR = "#c8d3df"
BAR_COLOUR = "#1d4f7c"
OVER_COLOUR = "#c25e00"
REFERENCE_COLOUR = "#6b7785"
SERIES_COLOURS = ("#1d4f7c", "#c25e00", "#2e7d4f", "#7b3f98")

_ids = itertools.count(1)


@dataclass(frozen=True)
class BulletRow:
    """One bar: ``actual`` (e.g. pupils on roll) drawn against a ``target`` track (places)."""

    label: str
    target: Cell
    actual: Cell


def nice_scale(value: float, max_ticks: int = 5, *, whole: bool = True) -> tuple[float, float]:
    """(axis maximum, tick step) with a round step (1, 2, 2.5 or 5 x 10^n; whole numbers only
    when ``whole``) and at most ``max_ticks`` steps: 7 -> (8, 2), 23 -> (25, 5),
    106.7 -> (125, 25)."""
    if value <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(value / max_ticks))
    for multiple in (1, 2, 2.5, 5, 10, 20, 25, 50):
        step = multiple * magnitude
        if whole and (step < 1 or step % 1):
            continue
        if value / step <= max_ticks:
            return step * math.ceil(value / step - 1e-9), step
    return 10 * value, 10 * value / max_ticks


def _open(title: str, height: float, description: str, width: float = WIDTH) -> tuple[str, str]:
    chart_id = f"chart-{next(_ids)}"
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" width="{width}" '
        f'height="{height:.0f}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" {FONT}>'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(description)}</desc>'
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="#1b1b1b">'
        f"{escape(title)}</text>"
    )
    return head, "</svg>"


def _legend(items: list[tuple[str, str]], y: float, x: float = LABEL_WIDTH) -> str:
    out = []
    for label, colour in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{y}" font-size="11" fill="#333">{escape(label)}</text>')
        x += 22 + 6.5 * len(label)
    return "".join(out)


def _axis(
    scale: tuple[float, float],
    x0: float,
    plot_width: float,
    y_top: float,
    y_bottom: float,
    suffix: str = "",
) -> str:
    scale_max, step = scale
    out = []
    for i in range(round(scale_max / step) + 1):
        value = step * i
        x = x0 + plot_width * value / scale_max
        out.append(
            f'<line x1="{x:.1f}" y1="{y_top}" x2="{x:.1f}" y2="{y_bottom}" stroke="#e3e7ec"/>'
            f'<text x="{x:.1f}" y="{y_bottom + 13}" font-size="10" fill="#555" '
            f'text-anchor="middle">{value:g}{suffix}</text>'
        )
    return "".join(out)


def bullet_chart(
    rows: list[BulletRow],
    *,
    title: str,
    target_name: str = "Commissioned places",
    actual_name: str = "Pupils on roll",
    width: float = WIDTH,
    label_width: float = LABEL_WIDTH,
) -> str:
    """Horizontal bars: a light track for the target, a dark bar for the actual value, the part
    beyond the target in orange; values written at the end of each row."""
    values = [c.value for r in rows for c in (r.target, r.actual) if c.value is not None]
    scale = nice_scale(max(values, default=0))
    scale_max = scale[0]
    plot_width = width - label_width - VALUE_WIDTH
    height = TOP + 18 + ROW_HEIGHT * len(rows) + 20
    head, tail = _open(
        title,
        height,
        f"{actual_name} against {target_name} for {len(rows)} rows; 'c' marks a suppressed figure.",
        width,
    )
    parts = [
        head,
        _legend(
            [(target_name, TRACK_COLOUR), (actual_name, BAR_COLOUR), ("Over places", OVER_COLOUR)],
            TOP,
            label_width,
        ),
    ]
    y0 = TOP + 12
    parts.append(_axis(scale, label_width, plot_width, y0, y0 + ROW_HEIGHT * len(rows)))
    for i, row in enumerate(rows):
        y = y0 + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        parts.append(
            f'<text x="{label_width - 8}" y="{y + BAR_HEIGHT - 3}" font-size="11" fill="#1b1b1b" '
            f'text-anchor="end">{escape(_truncate(row.label, int(label_width / 6.3)))}</text>'
        )
        target = row.target.value
        if target is not None:
            parts.append(
                _bar(
                    label_width,
                    y,
                    plot_width * target / scale_max,
                    BAR_HEIGHT,
                    TRACK_COLOUR,
                    f"{target_name}: {row.target.text}",
                )
            )
        actual = row.actual.value
        if actual is not None:
            inside = min(actual, target) if target is not None else actual
            parts.append(
                _bar(
                    label_width,
                    y + 3,
                    plot_width * inside / scale_max,
                    BAR_HEIGHT - 6,
                    BAR_COLOUR,
                    f"{actual_name}: {row.actual.text}",
                )
            )
            if target is not None and actual > target:
                parts.append(
                    _bar(
                        label_width + plot_width * target / scale_max,
                        y + 3,
                        plot_width * (actual - target) / scale_max,
                        BAR_HEIGHT - 6,
                        OVER_COLOUR,
                        f"Over places: {actual - target:g}",
                    )
                )
        parts.append(
            f'<text x="{width - 4}" y="{y + BAR_HEIGHT - 3}" font-size="11" fill="#1b1b1b" '
            f'text-anchor="end"><tspan class="{_symbol_class(row.actual)}">'
            f"{escape(row.actual.text)}</tspan> / {escape(row.target.text)}</text>"
        )
    parts.append(tail)
    return "".join(parts)


def percent_bars(
    rows: list[tuple[str, Cell]],
    *,
    title: str,
    reference: float = 100.0,
    reference_label: str = "100% full",
) -> str:
    """Horizontal bars of a percentage with a reference line; bars past it are orange."""
    values = [c.value for _, c in rows if c.value is not None]
    scale = nice_scale(max(values + [reference]))
    scale_max = scale[0]
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + 18 + ROW_HEIGHT * len(rows) + 20
    head, tail = _open(
        title, height, f"{len(rows)} bars; 'c' marks a suppressed figure, 'z' nothing commissioned."
    )
    y0 = TOP + 12
    parts = [
        head,
        _legend([("Occupancy", BAR_COLOUR), ("Over 100%", OVER_COLOUR)], TOP),
        _axis(scale, LABEL_WIDTH, plot_width, y0, y0 + ROW_HEIGHT * len(rows), "%"),
    ]
    for i, (label, cell) in enumerate(rows):
        y = y0 + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 3}" font-size="11" fill="#1b1b1b" '
            f'text-anchor="end">{escape(_truncate(label, int(LABEL_WIDTH / 6.3)))}</text>'
        )
        if cell.value is not None:
            colour = OVER_COLOUR if cell.value > reference else BAR_COLOUR
            parts.append(
                _bar(
                    LABEL_WIDTH,
                    y,
                    plot_width * cell.value / scale_max,
                    BAR_HEIGHT,
                    colour,
                    f"{label}: {cell.text}",
                )
            )
        parts.append(
            f'<text x="{WIDTH - 4}" y="{y + BAR_HEIGHT - 3}" font-size="11" text-anchor="end" '
            f'class="{_symbol_class(cell)}">{escape(cell.text)}</text>'
        )
    x_ref = LABEL_WIDTH + plot_width * reference / scale_max
    parts.append(
        f'<line x1="{x_ref:.1f}" y1="{y0 - 4}" x2="{x_ref:.1f}" y2="{y0 + ROW_HEIGHT * len(rows)}" '
        f'stroke="{REFERENCE_COLOUR}" stroke-dasharray="4 3"><title>{escape(reference_label)}'
        f"</title></line>"
    )
    parts.append(tail)
    return "".join(parts)


def line_chart(
    x_labels: list[str],
    series: dict[str, list[Cell]],
    *,
    title: str,
    max_value: float | None = None,
) -> str:
    """Lines over years; a missing point breaks the line, a hidden one is also marked "c" near
    the axis (one row per series)."""
    height = 230
    left, right, top, bottom = 48, 40, TOP + 20, height - 28
    values = [c.value for cells in series.values() for c in cells if c.value is not None]
    scale_max, step = nice_scale(max(values + [max_value or 0], default=0))
    head, tail = _open(title, height, f"{len(series)} series over {len(x_labels)} years.")
    parts = [head]
    x_step = (WIDTH - left - right) / max(len(x_labels) - 1, 1)
    for i in range(round(scale_max / step) + 1):
        y = bottom - (bottom - top) * step * i / scale_max
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e3e7ec"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" fill="#555" '
            f'text-anchor="end">{step * i:g}</text>'
        )
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{left + i * x_step:.1f}" y="{bottom + 16}" font-size="10" fill="#555" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend = []
    for n, ((name, cells), colour) in enumerate(
        zip(series.items(), itertools.cycle(SERIES_COLOURS))
    ):
        legend.append((name, colour))
        segment: list[str] = []
        for i, cell in enumerate(cells):
            x = left + i * x_step
            if cell.value is None:
                parts.append(_polyline(segment, colour))
                segment = []
                if cell.is_suppressed:  # a gap with no label is simply no data
                    parts.append(
                        f'<text x="{x:.1f}" y="{bottom - 4 - 11 * n}" font-size="10" '
                        f'fill="{colour}" text-anchor="middle" class="symbol">c'
                        f"<title>{escape(name)} {escape(x_labels[i])}: c</title></text>"
                    )
                continue
            y = bottom - (bottom - top) * cell.value / scale_max
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(x_labels[i])}: {escape(cell.text)}</title>"
                f"</circle>"
            )
        parts.append(_polyline(segment, colour))
    parts.append(_legend(legend, TOP, x=left))
    parts.append(tail)
    return "".join(parts)


def _polyline(points: list[str], colour: str) -> str:
    if len(points) < 2:
        return ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'


def _bar(x: float, y: float, width: float, height: float, colour: str, tooltip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height}" '
        f'fill="{colour}"><title>{escape(tooltip)}</title></rect>'
    )


def _symbol_class(cell: Cell) -> str:
    return "symbol" if cell.is_symbol else "value"


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
