"""The managers' analytics dashboard (/manage/analytics/): tables first, each to CSV."""

import csv
import io
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from townsquare.analytics import charts, discussions, membership, metrics
from townsquare.analytics.forms import FilterForm
from townsquare.analytics.membership import Grid
from townsquare.analytics.periods import Period, Row
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.moderation.audit_log import safe_cell


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} %" if percent else text


def _trend_charts(
    period: Period, categories: list[int] | None, daily: metrics.Daily
) -> dict[str, charts.Chart]:
    """Each section's line: this period, and the previous one dashed over it."""
    found = {}
    for section, (metric, current, before) in metrics.trends(period, categories, daily).items():
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
    """One table as CSV (see ``csv_response``)."""
    return csv_response(
        table,
        [_("Name"), _("This period"), _("Previous period"), _("Change (%)")],
        [
            [
                safe_cell(row.label),
                _number(row.current, row.percent),
                _number(row.previous, row.percent),
                _number(row.change),
            ]
            for row in rows
        ],
        period,
    )


def grid_csv(table: str, grid: Grid, heading: str, period: Period) -> HttpResponse:
    """A table with named columns (membership by month, cohorts) as CSV; shares as per
    cent with two decimals, empty cells empty."""

    def cell(value: float | None) -> str | float:
        if value is None:
            return ""
        return f"{round(100 * value, 2):g} %" if grid.percent else value

    return csv_response(
        table,
        [heading, *grid.columns],
        [[safe_cell(label), *(cell(value) for value in values)] for label, values in grid.rows],
        period,
    )


def csv_response(table: str, header: list[str], rows: list[list], period: Period) -> HttpResponse:
    """A table as CSV, UTF-8 with a byte order mark so spreadsheets read Chinese and
    Polish right. Callers pass text cells through ``safe_cell`` (formula injection);
    figures stay as they are, so "-3" stays a number."""
    name = f"analytics-{table}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    return csv_file(name, header, rows)


def csv_file(name: str, header: list, rows: list[list]) -> HttpResponse:
    """A download called ``name``: UTF-8 with a byte order mark; see csv_response."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([str(cell) for cell in header])
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@dataclass
class Filters:
    """What an analytics page was asked for: the form to show again, the period and the
    categories (None: the whole community)."""

    form: FilterForm
    period: Period
    categories: list[int] | None

    @property
    def context(self) -> dict:
        return {
            "form": self.form,
            "period": self.period,
            "previous": self.period.previous(),
            "filtered": self.categories is not None,
        }


def analytics_filters(request: HttpRequest) -> Filters:
    """Check the reader may see analytics, and read the page's period and filter from the
    query string. Every analytics page starts here."""
    permissions.require(permissions.may_view_analytics(request.user))
    community = community_for(request)
    form = FilterForm(request.GET, user=request.user, community=community)
    if not form.is_valid():
        # Show what was typed with its error, and the default period's figures below.
        fallback = FilterForm({}, user=request.user, community=community)
        fallback.is_valid()
        return Filters(form, fallback.period, None)
    period = form.period
    # Show the period's dates in the form even when they were left out (the default): an
    # unbound form with those values, so nothing is validated, or read, twice.
    shown = request.GET.dict() | {"from": period.start, "to": period.end}
    return Filters(
        FilterForm(None, initial=shown, user=request.user, community=community),
        period,
        form.categories(),
    )


def query_without_format(request: HttpRequest) -> str:
    """The page's query string without the CSV switches, for links to a table's CSV."""
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return query.urlencode()


def csv_table(request: HttpRequest, tables: dict[str, list[Row]], period: Period) -> HttpResponse:
    """The table named by ``?table=`` as CSV (404 for a table the page has not)."""
    table = request.GET.get("table", "")
    if table not in tables:
        raise Http404
    return _csv(table, tables[table], period)


def _cohorts_table(grid: Grid) -> SafeString:
    return charts.heatmap_table(
        [(label, values) for label, values in grid.rows],
        columns=grid.columns,
        caption=_("Retention by join month"),
        row_heading=_("Joined in"),
    )


def _discussions_csv(
    found: list[discussions.Discussion], request: HttpRequest, period: Period
) -> HttpResponse:
    return csv_response(
        "discussions",
        [_("Topic"), _("Replies"), _("Participants"), _("First views"), _("Address")],
        [
            [
                safe_cell(item.topic.title),
                item.replies,
                item.participants,
                item.views,
                request.build_absolute_uri(item.topic.get_absolute_url()),
            ]
            for item in found
        ],
        period,
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    period, categories = filters.period, filters.categories
    daily = metrics.overview_rows(period, categories)  # read once, shared by the tables
    tables = metrics.report(period, categories, daily)
    months = None
    if categories is None:
        months = membership.by_month(period, daily["new_members"], daily["members_lost"])
    cohorts = membership.cohorts(period) if categories is None else None
    found = discussions.top_discussions(period, categories, request.user, community_for(request))
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        if table == "months" and months is not None:
            return grid_csv(table, months, _("Month"), period)
        if table == "cohorts" and cohorts is not None:
            return grid_csv(table, cohorts, _("Joined in"), period)
        if table == "discussions":
            return _discussions_csv(found, request, period)
        return csv_table(request, tables, period)
    lines = _trend_charts(period, categories, daily)
    sections = [
        (key, label, tables[key], lines.get(key)) for key, label in metrics.SECTIONS.items()
    ]
    return render(
        request,
        "analytics/dashboard.html",
        filters.context
        | {
            "sections": sections,
            "sources": tables.get("sources"),
            "sources_chart": _sources_chart(tables.get("sources")),
            "referrers": tables.get("referrers"),
            "months": months,
            "cohorts": cohorts,
            "cohorts_table": _cohorts_table(cohorts) if cohorts is not None else None,
            "discussions": found,
            "query": query_without_format(request),
        },
    )
