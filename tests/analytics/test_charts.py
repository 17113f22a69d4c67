"""The server-rendered charts: well-formed, named for screen readers, honest axes, every
number also in a table, and user-supplied labels escaped."""

import itertools
import math
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import Context, Engine
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from townsquare.analytics import charts, numbers
from townsquare.analytics.charts import Series, bar_chart, heatmap_table, line_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = Path(charts.__file__).parent / "templates"
CSS = Path(charts.__file__).parents[1] / "static" / "townsquare" / "app.css"
HOSTILE = "<script>alert('x')</script> \"quoted\" & more"
START = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))  # raises on anything not well-formed
    assert root.tag == f"{SVG}svg"
    return root


def daily(values, start=START, name="Page views") -> Series:
    return Series(name, [(start + timedelta(days=i), v) for i, v in enumerate(values)])


def texts(root: ET.Element, cls: str) -> list[str]:
    return [el.text for el in root.iter(f"{SVG}text") if el.get("class") == cls]


def y_ticks(root: ET.Element) -> list[float]:
    return [float(t.replace(",", "")) for t in texts(root, "tick") if re.fullmatch(r"-?[\d,.]+", t)]


def render_figure(chart) -> str:
    engine = Engine(
        dirs=[str(TEMPLATES)],
        libraries={
            "charts": "townsquare.analytics.templatetags.charts",
            "i18n": "django.templatetags.i18n",
        },
    )
    return engine.from_string("{% load charts %}{% chart_figure chart %}").render(
        Context({"chart": chart})
    )


class TableCells(HTMLParser):
    """Collects the text of every th/td, and the attributes of tables' header cells."""

    def __init__(self):
        super().__init__()
        self.cells: list[str] = []
        self.header_scopes: list[str | None] = []
        self.tags: list[str] = []
        self._open = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("th", "td"):
            self._open = True
            self.cells.append("")
        if tag == "th":
            self.header_scopes.append(dict(attrs).get("scope"))

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._open = False

    def handle_data(self, data):
        if self._open:
            self.cells[-1] += data


def table_of(html: str) -> TableCells:
    parser = TableCells()
    parser.feed(html)
    return parser


# --- Line chart ---------------------------------------------------------------------------


def test_a_line_chart_is_a_named_image_with_one_path_per_series():
    current = daily([3, 5, 8, 13, 21, 34, 55])
    previous = daily([2, 3, 5, 8, 13, 21, 34], START - timedelta(days=7), "Previous period")
    chart = line_chart(
        [current, previous], title="Page views", description="Daily views", y_label="views"
    )
    root = parse(chart.svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Page views"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert "viewBox" in root.attrib and "width" not in root.attrib  # scales with its box
    groups = [g for g in root.iter(f"{SVG}g") if "series" in (g.get("class") or "").split()]
    assert [g.get("data-points") for g in groups] == ["7", "7"]
    paths = [g.find(f"{SVG}path") for g in groups]
    assert [p.get("d").count("L") for p in paths] == [6, 6]
    # The comparison is told apart by its dashes, not only its colour.
    assert paths[0].get("stroke-dasharray") == "none"
    assert paths[1].get("stroke-dasharray") not in ("none", "")


def test_two_charts_on_a_page_have_different_ids():
    one = parse(line_chart([daily([1, 2])], title="a", description="", y_label="").svg)
    two = parse(line_chart([daily([1, 2])], title="b", description="", y_label="").svg)
    assert one.get("aria-labelledby") != two.get("aria-labelledby")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([3, 17, 9], [0, 5, 10, 15, 20]),
        ([0.13, 0.93], [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        ([-3, 17], [-5, 0, 5, 10, 15, 20]),
        ([0, 0, 0], [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        ([1_234_567], [0, 500_000, 1_000_000, 1_500_000]),
    ],
)
def test_ticks_are_round_numbers_from_zero_covering_every_value(values, expected):
    ticks = numbers.nice_ticks(min(values), max(values))
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= min(0, *values) and ticks[-1] >= max(values)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_subnormal=False),
    st.floats(min_value=-1e12, max_value=1e12, allow_subnormal=False),
)
def test_ticks_are_evenly_spaced_round_steps_that_cover_the_values(a, b):
    # Spans within the subnormal floats have no round steps; they fall back on lo, 0, hi.
    lo, hi = sorted((a, b))
    ticks = numbers.nice_ticks(lo, hi)
    assert ticks[0] <= min(lo, 0) and ticks[-1] >= max(hi, 0) and 0 in ticks
    assert 2 <= len(ticks) <= 7
    # Steps compared relative to their size: tiny spans (1e-9) have tiny round steps.
    step = ticks[1] - ticks[0]
    assert all(t2 - t1 == pytest.approx(step, rel=1e-6) for t1, t2 in itertools.pairwise(ticks))
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 5))


def test_the_axis_shows_nice_ticks_and_a_zero_baseline():
    root = parse(line_chart([daily([4, 11, 7])], title="t", description="", y_label="").svg)
    assert y_ticks(root) == [0, 5, 10, 15]
    assert len([el for el in root.iter(f"{SVG}line") if el.get("class") == "baseline"]) == 1


def test_a_missing_value_breaks_the_line():
    root = parse(line_chart([daily([1, 2, None, 4, 5])], title="t", description="", y_label="").svg)
    d = root.find(f".//{SVG}path").get("d")
    assert d.count("M") == 2 and d.count("L") == 2


def test_long_ranges_get_monthly_date_ticks_that_do_not_crowd():
    year = daily([i % 17 for i in range(365)], date(2025, 1, 1))
    root = parse(line_chart([year], title="t", description="", y_label="").svg)
    dates = [t for t in texts(root, "tick") if not re.fullmatch(r"-?[\d,.]+", t)]
    assert 2 <= len(dates) <= 7
    assert dates[0] == "Jan 2025"
    short_range = daily(range(28))
    root = parse(line_chart([short_range], title="t", description="", y_label="").svg)
    dates = [t for t in texts(root, "tick") if not re.fullmatch(r"-?[\d,.]+", t)]
    assert 2 <= len(dates) <= 7  # weekly, on Mondays
    assert dates[0] == "March 2"


def test_an_empty_series_says_there_is_no_data():
    for series in ([], [Series("Views", [])], [daily([None, None])]):
        chart = line_chart(series, title="Views", description="Daily", y_label="views")
        root = parse(chart.svg)
        assert texts(root, "empty") == ["No data in this period."]
        assert chart.empty
        assert "No data in this period." in render_figure(chart)
        assert "<table" not in render_figure(chart)


def test_a_single_point_is_drawn_as_a_marker():
    root = parse(line_chart([daily([42])], title="t", description="", y_label="").svg)
    assert len(list(root.iter(f"{SVG}circle"))) == 2  # the point and the legend's sample
    assert y_ticks(root)[-1] >= 42


def test_negative_values_extend_the_axis_below_zero():
    root = parse(line_chart([daily([-12, 3, -4])], title="t", description="", y_label="").svg)
    ticks = y_ticks(root)
    assert ticks[0] <= -12 and 0 in ticks


def test_huge_values_are_short_on_the_axis_and_whole_in_the_table():
    chart = line_chart([daily([1_234_567, 20])], title="t", description="", y_label="")
    assert "1.2M" in texts(parse(chart.svg), "tick") or "1M" in texts(parse(chart.svg), "tick")
    assert "1,234,567" in table_of(render_figure(chart)).cells


def test_numbers_and_dates_follow_the_language():
    with translation.override("pl"):
        chart = line_chart([daily([1_234_567.5])], title="t", description="", y_label="")
        assert chart.rows[0][1] == ("1\xa0234\xa0567,50",)
        assert numbers.compact_number(1_234_567) == "1,2 mln"


def test_the_figure_holds_the_chart_a_caption_and_every_number():
    values = [3, None, 8, 13.25]
    chart = line_chart([daily(values)], title="Views", description="Daily", y_label="views")
    html = render_figure(chart)
    assert "<figure" in html and "<figcaption>" in html and "<details" in html and " open" in html
    table = table_of(html)
    assert "caption" in table.tags
    assert {"col", "row"} == set(table.header_scopes)
    assert table.cells[:2] == ["Date", "Page views"]
    assert table.cells[3::2] == ["3", "", "8", "13.25"]
    assert table.cells[2] == "March 1, 2026"
    closed = Engine(
        dirs=[str(TEMPLATES)],
        libraries={
            "charts": "townsquare.analytics.templatetags.charts",
            "i18n": "django.templatetags.i18n",
        },
    ).from_string("{% load charts %}{% chart_figure chart open_table=False %}")
    assert '<details class="chart-data">' in closed.render(Context({"chart": chart}))


# --- Bar chart ----------------------------------------------------------------------------


def test_a_bar_chart_has_a_bar_and_a_value_per_category():
    items = [("search", 120), ("direct", 80), ("email", 0), ("social", 35)]
    chart = bar_chart(items, title="Sources", description="Views by source", value_label="Views")
    root = parse(chart.svg)
    bars = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(bars) == 4
    assert texts(root, "value") == ["120", "80", "0", "35"]
    assert texts(root, "label") == ["search", "direct", "email", "social"]
    widths = [float(b.find(f"{SVG}rect").get("width")) for b in bars]
    assert widths[0] > widths[1] > widths[3] > widths[2] == 0
    assert table_of(render_figure(chart)).cells == ["Category", "Views"] + [
        str(c) for item in items for c in item
    ]


def test_a_negative_bar_grows_left_of_zero():
    root = parse(
        bar_chart([("up", 10), ("down", -5)], title="t", description="", value_label="").svg
    )
    baseline = next(el for el in root.iter(f"{SVG}line") if el.get("class") == "baseline")
    zero = float(baseline.get("x1"))
    up, down = (g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.get("class") == "bar")
    assert float(up.get("x")) == zero
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(zero)


def test_long_labels_are_shortened_with_the_full_label_as_a_tooltip():
    long = "Frequently asked questions about installation " * 2
    chinese = "社区管理员的每周报告与讨论" * 3
    root = parse(
        bar_chart([(long, 1), (chinese, 2)], title="t", description="", value_label="").svg
    )
    shown = texts(root, "label")
    assert all(label.endswith("…") and len(label) < 30 for label in shown)
    assert len(shown[1]) <= 13  # wide characters count twice
    tooltips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") is None]
    assert tooltips == [long, chinese]


def test_hostile_labels_are_escaped_everywhere():
    chart = bar_chart(
        [(HOSTILE, 1), ("Zażółć gęślą jaźń", 2), ("搜索", 3)],
        title=HOSTILE,
        description=HOSTILE,
        value_label=HOSTILE,
    )
    line = line_chart([daily([1, 2], name=HOSTILE)], title=HOSTILE, description="", y_label=HOSTILE)
    for svg in (chart.svg, line.svg, sparkline([1, 2], label=HOSTILE)):
        assert "<script>" not in str(svg)
        parse(svg)
    assert HOSTILE in [el.text for el in parse(chart.svg).iter(f"{SVG}title")]
    assert "Zażółć gęślą jaźń" in texts(parse(chart.svg), "label")
    html = render_figure(chart)
    assert "<script>" not in html
    assert HOSTILE in table_of(html).cells
    table = heatmap_table([(HOSTILE, [0.5])], columns=[HOSTILE], caption=HOSTILE, row_heading="")
    assert "<script>" not in table


def test_an_empty_bar_chart_says_there_is_no_data():
    chart = bar_chart([], title="t", description="", value_label="")
    assert texts(parse(chart.svg), "empty") == ["No data in this period."]


# --- Heat-map table -----------------------------------------------------------------------


def test_the_heatmap_is_a_table_shaded_by_value_with_the_numbers_in_it():
    html = heatmap_table(
        [("January", [1.0, 0.42, 0.1]), ("February", [1.0, 0.5, None])],
        columns=["Month 1", "Month 2", "Month 3"],
        caption="Retention by join month",
        row_heading="Cohort",
    )
    table = table_of(html)
    assert "caption" in table.tags
    assert table.cells == [
        "Cohort", "Month 1", "Month 2", "Month 3",
        "January", "100%", "42%", "10%",
        "February", "100%", "50%", "",
    ]  # fmt: skip
    assert table.header_scopes == ["col"] * 4 + ["row"] * 2
    assert re.findall(r"heat-\w+", html) == [
        "heat-5",
        "heat-2",
        "heat-0",
        "heat-5",
        "heat-3",
        "heat-none",
    ]
    assert "No data" in heatmap_table([], columns=[], caption="", row_heading="")


def _luminance(hex_colour: str) -> float:
    channels = [
        int(hex_colour.lstrip("#").ljust(6, hex_colour[-1])[i : i + 2], 16) / 255 for i in (0, 2, 4)
    ]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_heatmap_shade_keeps_its_text_readable_in_light_and_dark():
    css = CSS.read_text()
    light, dark = css[css.index("/* Charts") :].split("prefers-color-scheme: dark", 1)
    for block in (light, dark):
        colours = dict(re.findall(r"--(heat-\d(?:-fg)?):(#[0-9a-fA-F]{3,6})", block))
        for level in range(charts.HEAT_LEVELS):
            assert _contrast(colours[f"heat-{level}"], colours[f"heat-{level}-fg"]) >= 4.5


def test_series_colours_stand_out_from_the_background():
    for colour in charts.COLOURS:
        assert _contrast(colour, "#ffffff") >= 3  # WCAG 1.4.11, graphical objects


# --- Sparkline ----------------------------------------------------------------------------


def test_a_sparkline_is_a_tiny_named_image():
    root = parse(sparkline([5, 3, None, 9], label="Page views"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Page views: from 5 to 9"
    assert root.find(f"{SVG}path").get("d").count("M") == 2
    assert parse(sparkline([], label="Views")).get("aria-label") == "Views: no data in this period"


def test_the_sparkline_tag_renders_the_same_svg():
    engine = Engine(libraries={"charts": "townsquare.analytics.templatetags.charts"})
    html = engine.from_string('{% load charts %}{% sparkline values "Views" %}').render(
        Context({"values": [1, 2, 3]})
    )
    assert parse(html).get("aria-label") == "Views: from 1 to 3"


# --- Any numbers at all -------------------------------------------------------------------

values = st.lists(st.none() | st.floats(allow_nan=False, allow_infinity=False), max_size=40)


@settings(max_examples=150, deadline=None)
@given(current=values, previous=values)
def test_any_finite_numbers_render_well_formed_charts(current, previous):
    chart = line_chart(
        [daily(current), daily(previous, name="Previous period")],
        title="t",
        description="d",
        y_label="y",
    )
    root = parse(chart.svg)
    for el in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width"):
            if name in el.attrib:
                assert el.get(name) not in ("nan", "inf", "-inf")
        assert "nan" not in (el.get("d") or "")
    known = [v for v in current if v is not None]
    bars = bar_chart(
        [(str(i), v) for i, v in enumerate(known)], title="t", description="", value_label=""
    )
    parse(bars.svg)
    parse(sparkline(current, label="x"))
    render_figure(chart)
