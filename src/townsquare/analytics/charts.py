"""Server-rendered, accessible charts: SVG built from escaped fragments, no JavaScript.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``, and carries
the numbers it draws so ``analytics/charts/figure.html`` can put them in a table beside it:
the table, not the picture, is what screen readers and keyboard users read.
"""

import html
import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.analytics.numbers import (
    compact_number,
    format_number,
    formatter,
    nice_ticks,
    percent,
    tick_decimals,
)

# Shapes and dash patterns tell series apart without colour (WCAG 1.4.1).
DASHES = ("", "6 4", "2 3", "8 3 2 3")
COLOURS = ("#1f5fbf", "#b35900", "#1b7a3d", "#8e3ab5")
MAX_LABEL_WIDTH = 24  # in half-width characters; CJK characters count two
MARKER_LIMIT = 62  # above this many points markers would blur into the line
HEAT_LEVELS = 6  # shading steps of the heat-map; app.css defines .heat-0 … .heat-5

_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """A named line: (date, value) points, None where the value is missing (a gap)."""

    name: str
    points: Sequence[tuple[date, float | None]]


@dataclass(frozen=True)
class Chart:
    """An SVG and the table of its numbers; renders as the SVG where a string is expected."""

    svg: SafeString
    title: str
    description: str
    columns: tuple[str, ...] = ()  # the first heads the rows' header cells
    rows: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def table_rows(self) -> SafeString:
        """The data table's body rows, built in one pass: a template loop over a year of
        days (a tag per cell) cost more than drawing the chart."""
        escape = html.escape
        return mark_safe(  # noqa: S308 — every heading and cell is escaped here
            "".join(
                f'<tr><th scope="row">{escape(heading)}</th>'
                + "".join(f'<td class="num">{escape(cell)}</td>' for cell in cells)
                + "</tr>\n        "
                for heading, cells in self.rows
            )
        )

    def __html__(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg


# --- Text ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def truncate(text: str, limit: int = MAX_LABEL_WIDTH) -> str:
    """Shorten a label to fit ``limit`` half-width characters, ending in an ellipsis."""
    if _width(text) <= limit:
        return text
    out, used = [], 1
    for char in text:
        used += _width(char)
        if used > limit:
            break
        out.append(char)
    return "".join(out).rstrip() + "…"


def _label(text: str, x: float, y: float, anchor: str = "start", cls: str = "label") -> SafeString:
    """A text label; a shortened one keeps its full wording in a <title> tooltip."""
    short = truncate(text)
    if short == text:
        return format_html(
            '<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>',
            cls,
            _n(x),
            _n(y),
            anchor,
            text,
        )
    return format_html(
        '<g><title>{}</title><text class="{}" x="{}" y="{}" text-anchor="{}">{}</text></g>',
        text,
        cls,
        _n(x),
        _n(y),
        anchor,
        short,
    )


def _n(value: float) -> str:
    """A coordinate: SVG wants dots and no grouping, whatever the language."""
    return f"{value:.1f}".removesuffix(".0")


# --- SVG frame ----------------------------------------------------------------------------


def _svg(
    body: SafeString, *, title: str, description: str, width: int, height: int, cls: str
) -> SafeString:
    uid = f"chart-{next(_ids)}"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" viewBox="0 0 {w} {h}" '
        'role="img" aria-labelledby="{uid}-title {uid}-desc" font-size="12" '
        'font-family="system-ui, sans-serif" fill="currentColor">'
        '<title id="{uid}-title">{title}</title><desc id="{uid}-desc">{desc}</desc>{body}</svg>',
        cls=cls,
        w=width,
        h=height,
        uid=uid,
        title=title,
        desc=description,
        body=body,
    )


def _empty(title: str, description: str, width: int, height: int, cls: str) -> Chart:
    message = _("No data in this period.")
    body = format_html(
        '<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text>',
        _n(width / 2),
        _n(height / 2),
        message,
    )
    svg = _svg(
        body,
        title=title,
        description=f"{description} {message}".strip(),
        width=width,
        height=height,
        cls=cls,
    )
    return Chart(svg=svg, title=title, description=description)


class _Scale:
    """Maps values onto pixels between ``start`` and ``end`` (the end may be smaller)."""

    def __init__(self, lo: float, hi: float, start: float, end: float):
        self.lo, self.hi, self.start, self.end = lo, hi, start, end
        self.half_span = hi / 2 - lo / 2  # halves: no overflow at ±1e308

    def __call__(self, value: float) -> float:
        share = 0.5 if self.half_span == 0 else (value / 2 - self.lo / 2) / self.half_span
        return self.start + share * (self.end - self.start)


def _value_axis(ticks: list[float]) -> tuple[list[str], bool]:
    """Tick labels, and whether they are shortened (then the table gives full numbers)."""
    step = min((b - a for a, b in itertools.pairwise(ticks) if b > a), default=1.0)
    biggest = max(abs(t) for t in ticks)
    if biggest >= 1e4:
        return [compact_number(t) for t in ticks], True
    return [format_number(t, tick_decimals(step)) for t in ticks], False


# --- Line chart ---------------------------------------------------------------------------


def _date_ticks(start: date, days: int, max_ticks: int) -> tuple[list[date], str]:
    """Dates for the x axis, one every 1, 2 or 7 days or 1, 2, 3, 6 or 12 months."""
    for step in (1, 2, 7, 14):
        if days // step + 1 <= max_ticks:
            first = start if step < 7 else start + timedelta(days=(7 - start.weekday()) % 7)
            return [
                first + timedelta(days=d) for d in range(0, days + 1 - (first - start).days, step)
            ], "day"
    end = start + timedelta(days=days)
    for months in (1, 2, 3, 6, 12):
        ticks = []
        year, month = start.year, start.month
        if start.day != 1:  # the first tick is the first whole month
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while (year, month) <= (end.year, end.month):
            if (month - 1) % months == 0:
                ticks.append(date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(ticks) <= max_ticks:
            return ticks, "month"
    return [date(y, 1, 1) for y in range(start.year + 1, end.year + 1)], "year"


def _date_label(day: date, unit: str, first: bool) -> str:
    formatted = formatter().date
    if unit == "day":
        return formatted(day, "MONTH_DAY_FORMAT")
    if unit == "year" or (unit == "month" and (first or day.month == 1)):
        return formatted(day, "M Y" if unit == "month" else "Y")
    return formatted(day, "M")


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    y_label: str,
    width: int = 640,
    height: int = 280,
) -> Chart:
    """One or more series over time; the first sets the dates on the x axis.

    Later series are laid over the first day for day from their own first date, so a
    comparison with the previous period lines up with the current one; they are dashed.
    """
    margin_left, margin_right, margin_top, margin_bottom = 56, 16, 36, 40
    values = [v for s in series for _, v in s.points if v is not None]
    if not values:
        return _empty(title, description, width, height, "line-chart")
    starts = [min(d for d, _ in s.points) if s.points else None for s in series]
    offsets = [
        {(d - start).days: v for d, v in s.points} if start else {}
        for s, start in zip(series, starts, strict=True)
    ]
    origin = next(s for s in starts if s is not None)
    days = max(max(o) for o in offsets if o)

    ticks = nice_ticks(min(values), max(values))
    plot_left, plot_right = margin_left, width - margin_right
    plot_top, plot_bottom = margin_top, height - margin_bottom
    y = _Scale(ticks[0], ticks[-1], plot_bottom, plot_top)
    x = _Scale(0, days, plot_left, plot_right) if days else (lambda _: (plot_left + plot_right) / 2)

    parts: list[SafeString] = []
    # Value axis: a grid line and a label per tick, the zero line stronger.
    labels = _value_axis(ticks)[0]
    for tick, label in zip(ticks, labels, strict=True):
        parts.append(
            format_html(
                '<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" '
                'stroke-opacity="{}"/><text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                "baseline" if tick == 0 else "grid",
                plot_left,
                plot_right,
                _n(y(tick)),
                _n(y(tick)),
                "0.8" if tick == 0 else "0.15",
                plot_left - 6,
                _n(y(tick) + 4),
                label,
            )
        )
    parts.append(
        format_html(
            '<text class="axis-label" transform="rotate(-90)" x="{}" y="14" '
            'text-anchor="middle">{}</text>',
            _n(-(plot_top + plot_bottom) / 2),
            y_label,
        )
    )
    # Date axis: ticks spaced ~90 px apart so labels never overlap.
    date_ticks, unit = _date_ticks(origin, days, max(2, (plot_right - plot_left) // 90))
    for i, day in enumerate(date_ticks):
        pos = x((day - origin).days)
        parts.append(
            format_html(
                '<line class="tick-mark" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(pos),
                _n(pos),
                plot_bottom,
                plot_bottom + 4,
                _n(pos),
                plot_bottom + 18,
                _date_label(day, unit, i == 0),
            )
        )
    for index, (line, points) in enumerate(zip(series, offsets, strict=True)):
        parts.append(_series_path(index, line.name, points, x, y))
    parts.append(_legend(series, plot_left))

    svg = _svg(
        mark_safe("".join(parts)),  # noqa: S308 — every part comes from format_html
        title=title,
        description=description,
        width=width,
        height=height,
        cls="line-chart",
    )
    all_offsets = sorted(set().union(*offsets))
    styled = formatter()
    number, day_text = styled.number, styled.date
    rows = tuple(
        (
            day_text(origin + timedelta(days=o), "DATE_FORMAT"),
            tuple("" if (v := p.get(o)) is None else number(v, 2 if v % 1 else 0) for p in offsets),
        )
        for o in all_offsets
    )
    return Chart(
        svg=svg,
        title=title,
        description=description,
        columns=(_("Date"), *(s.name for s in series)),
        rows=rows,
    )


def _series_path(
    index: int,
    name: str,
    points: dict[int, float | None],
    x: Callable[[float], float],
    y: Callable[[float], float],
) -> SafeString:
    """A path broken at missing values, with markers where points are few or isolated."""
    style = index % len(DASHES)
    commands, markers, run = [], [], []
    ordered = sorted(points.items())
    for offset, value in [*ordered, (None, None)]:
        if value is None:
            if len(run) == 1 or (run and len(ordered) <= MARKER_LIMIT):
                markers.extend(run)
            if run:
                commands.append("M" + " L".join(f"{_n(px)} {_n(py)}" for px, py in run))
            run = []
        else:
            run.append((x(offset), y(value)))
    path = format_html(
        '<path class="line" d="{}" fill="none" stroke="{}" stroke-width="2" '
        'stroke-dasharray="{}" stroke-linejoin="round"/>',
        " ".join(commands),
        COLOURS[style],
        DASHES[style] or "none",
    )
    dots = format_html_join("", "{}", ((_marker(style, px, py),) for px, py in markers))
    return format_html(
        '<g class="series series-{}" data-name="{}" data-points="{}">{}{}</g>',
        style,
        name,
        sum(1 for _, v in ordered if v is not None),
        path,
        dots,
    )


def _marker(style: int, px: float, py: float) -> SafeString:
    colour = COLOURS[style]
    if style % 2 == 0:
        return format_html(
            '<circle class="marker" cx="{}" cy="{}" r="3" fill="{}"/>', _n(px), _n(py), colour
        )
    return format_html(
        '<rect class="marker" x="{}" y="{}" width="6" height="6" fill="{}"/>',
        _n(px - 3),
        _n(py - 3),
        colour,
    )


def _legend(series: Sequence[Series], left: float) -> SafeString:
    items, pos = [], left
    for index, line in enumerate(series):
        style = index % len(DASHES)
        name = truncate(line.name)
        items.append(
            format_html(
                '<g class="legend-item series-{}"><line x1="{}" x2="{}" y1="14" y2="14" '
                'stroke="{}" stroke-width="2" stroke-dasharray="{}"/>{}'
                '<text x="{}" y="18">{}</text></g>',
                style,
                _n(pos),
                _n(pos + 24),
                COLOURS[style],
                DASHES[style] or "none",
                _marker(style, pos + 12, 14),
                _n(pos + 30),
                name,
            )
        )
        pos += 30 + _width(name) * 7 + 20
    return format_html('<g class="legend" aria-hidden="true">{}</g>', mark_safe("".join(items)))  # noqa: S308


# --- Bar chart ----------------------------------------------------------------------------


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    description: str,
    value_label: str,
    label_heading: str | None = None,
    width: int = 640,
    bar_height: int = 22,
) -> Chart:
    """Horizontal bars, one per category, the value written at the end of each bar."""
    margin_top, margin_bottom, label_width, value_room = 8, 28, 180, 64
    height = margin_top + margin_bottom + max(len(items), 1) * (bar_height + 8)
    if not items:
        return _empty(title, description, width, 120, "bar-chart")
    values = [v for _, v in items]
    ticks = nice_ticks(min(values), max(values))
    plot_left, plot_right = label_width, width - value_room
    x = _Scale(ticks[0], ticks[-1], plot_left, plot_right)
    zero = x(0)
    plot_bottom = height - margin_bottom
    parts: list[SafeString] = []
    labels, shortened = _value_axis(ticks)
    for tick, label in zip(ticks, labels, strict=True):
        parts.append(
            format_html(
                '<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" '
                'stroke-opacity="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                "baseline" if tick == 0 else "grid",
                _n(x(tick)),
                _n(x(tick)),
                margin_top,
                plot_bottom,
                "0.8" if tick == 0 else "0.15",
                _n(x(tick)),
                plot_bottom + 16,
                label,
            )
        )
    for i, (name, value) in enumerate(items):
        top = margin_top + 4 + i * (bar_height + 8)
        end = x(value)
        text = compact_number(value) if shortened else format_number(value, 2 if value % 1 else 0)
        parts.append(
            format_html(
                '<g class="bar"><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>{}'
                '<text class="value" x="{}" y="{}" text-anchor="{}">{}</text></g>',
                _n(min(zero, end)),
                top,
                _n(abs(end - zero)),
                bar_height,
                COLOURS[0],
                _label(name, plot_left - 8, top + bar_height / 2 + 4, "end"),
                _n(end + (4 if value >= 0 else -4)),
                _n(top + bar_height / 2 + 4),
                "start" if value >= 0 else "end",
                text,
            )
        )
    svg = _svg(
        mark_safe("".join(parts)),  # noqa: S308 — every part comes from format_html
        title=title,
        description=description,
        width=width,
        height=height,
        cls="bar-chart",
    )
    rows = tuple((name, (format_number(value, 2 if value % 1 else 0),)) for name, value in items)
    return Chart(
        svg=svg,
        title=title,
        description=description,
        columns=(label_heading or _("Category"), value_label),
        rows=rows,
    )


# --- Heat-map table -----------------------------------------------------------------------


def heatmap_table(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    *,
    columns: Sequence[str],
    caption: str,
    row_heading: str,
) -> SafeString:
    """Retention cohorts and the like: shares (0…1) in a table, each cell shaded by value.

    A table is the accessible form of a heat-map; the shade (classes heat-0 … heat-5 in
    app.css, each with a text colour of sufficient contrast) only adds the overview.
    """
    if not rows:
        return format_html('<p class="chart-empty">{}</p>', _("No data in this period."))
    head = format_html_join("", '<th scope="col">{}</th>', ((c,) for c in columns))
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        ((label, _heat_cells(values)) for label, values in rows),
    )
    return format_html(
        '<table class="heatmap"><caption>{}</caption><thead><tr><th scope="col">{}</th>{}</tr>'
        "</thead><tbody>{}</tbody></table>",
        caption,
        row_heading,
        head,
        body,
    )


def _heat_cells(values: Sequence[float | None]) -> SafeString:
    cells = []
    for value in values:
        if value is None or not math.isfinite(value):
            cells.append(mark_safe('<td class="heat-none"></td>'))
            continue
        level = min(HEAT_LEVELS - 1, max(0, int(value * HEAT_LEVELS)))
        cells.append(format_html('<td class="num heat-{}">{}</td>', level, percent(value)))
    return mark_safe("".join(cells))  # noqa: S308 — every cell comes from format_html


# --- Sparkline ----------------------------------------------------------------------------


def sparkline(
    values: Sequence[float | None], *, label: str, width: int = 100, height: int = 24
) -> SafeString:
    """A tiny trend line for a table cell or a headline figure, named for screen readers."""
    known = [v for v in values if v is not None]
    if known:
        name = _("%(label)s: from %(first)s to %(last)s") % {
            "label": label,
            "first": format_number(known[0], 2 if known[0] % 1 else 0),
            "last": format_number(known[-1], 2 if known[-1] % 1 else 0),
        }
    else:
        name = _("%(label)s: no data in this period") % {"label": label}
    lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
    y = _Scale(lo, hi, height - 2, 2)
    x = _Scale(0, max(len(values) - 1, 1), 2, width - 2)
    runs, run = [], []
    for i, value in enumerate([*values, None]):
        if value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{_n(x(i))} {_n(y(value))}")
    # A lone point draws nothing as a path: a zero-length round-capped segment shows it.
    d = " ".join(f"M{r[0]} L{r[0]}" if len(r) == 1 else "M" + " L".join(r) for r in runs)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {} {}" '
        'width="{}" height="{}" role="img" aria-label="{}"><title>{}</title>'
        '<path d="{}" fill="none" stroke="currentColor" stroke-width="1.5" '
        'stroke-linecap="round" stroke-linejoin="round"/></svg>',
        width,
        height,
        width,
        height,
        name,
        name,
        d,
    )
