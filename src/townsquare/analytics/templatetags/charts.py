"""Template tags for the charts of ``townsquare.analytics.charts``.

``{% load charts %}`` then ``{% chart_figure chart %}`` for a chart with its data table, and
``{% sparkline values label %}`` for a tiny trend inline.
"""

from collections.abc import Sequence

from django import template
from django.utils.safestring import SafeString

from townsquare.analytics import charts

register = template.Library()


@register.inclusion_tag("analytics/charts/figure.html")
def chart_figure(chart: charts.Chart, open_table: bool = True) -> dict:
    return {"chart": chart, "open_table": open_table}


@register.simple_tag
def sparkline(values: Sequence[float | None], label: str) -> SafeString:
    return charts.sparkline(values, label=label)
