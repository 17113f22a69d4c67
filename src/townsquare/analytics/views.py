"""The managers' analytics dashboard (/manage/analytics/): tables first, each to CSV."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from townsquare.analytics import charts, metrics
from townsquare.analytics.forms import FilterForm
from townsquare.analytics.metrics import Period, Row
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.moderation.audit_log import safe_cell


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} %" if percent else text


def _trend_charts(period: Period, categories: list[int] | None) -> dict[str, charts.Chart]:
    """Each section's line: this period, and the previous one dashed over it."""
    found = {}
    for section, (metric, current, before) in metrics.trends(period, categories).items():
        found[section] = charts.line_chart(
            [
                charts.Series(_("This period"), current.series),
                charts.Series(_("Previous period"), before.series),
            ],
            title=str(metric.label),
            description=str(metric.definition),
            y_label=str(metric.label),
        )
    return found


def _sources_chart(rows: list[Row] | None) -> charts.Chart | None:
    if rows is None:
        return None
    return charts.bar_chart(
        [(row.label, row.current or 0) for row in rows],
        title=_("Page views by source"),
        description=_("Where the period's page views came from."),
        value_label=_("Page views"),
        label_heading=_("Source"),
    )


def _csv(table: str, rows: list[Row], period: Period) -> HttpResponse:
    """One table as CSV, UTF-8 with a byte order mark so spreadsheets read Chinese and
    Polish right; every text cell made safe from formula injection."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("This period"), _("Previous period"), _("Change (%)")])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.label),
                _number(row.current, row.percent),
                _number(row.previous, row.percent),
                _number(row.change),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"analytics-{table}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_view_analytics(request.user))
    form = FilterForm(request.GET, user=request.user, community=community_for(request))
    if not form.is_valid():
        # Show what was typed with its error, and the default period's figures below.
        fallback = FilterForm({}, user=request.user, community=community_for(request))
        fallback.is_valid()
        period, categories = fallback.period, None
    else:
        period, categories = form.period, form.categories()
        # Show the period's dates in the form even when they were left out (the default).
        # (an unbound form with those values: nothing is validated, or read, twice).
        shown = request.GET.dict() | {"from": period.start, "to": period.end}
        form = FilterForm(None, initial=shown, user=request.user, community=community_for(request))
    tables = metrics.report(period, categories)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        if table not in tables:
            raise Http404
        return _csv(table, tables[table], period)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    lines = _trend_charts(period, categories)
    sections = [
        (key, label, tables[key], lines.get(key)) for key, label in metrics.SECTIONS.items()
    ]
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "period": period,
            "previous": period.previous(),
            "filtered": categories is not None,
            "sections": sections,
            "sources": tables.get("sources"),
            "sources_chart": _sources_chart(tables.get("sources")),
            "referrers": tables.get("referrers"),
            "months": tables["months"],
            "query": query.urlencode(),
        },
    )
