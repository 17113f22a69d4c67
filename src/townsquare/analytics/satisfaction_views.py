"""/manage/analytics/satisfaction/: NPS and CSAT against the previous period, the NPS
groups, the monthly trend and the latest comments; every table as CSV (``?format=csv``)."""

import csv
import io
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from townsquare.analytics import charts, satisfaction
from townsquare.analytics.periods import Period
from townsquare.analytics.views import analytics_filters, csv_table, query_without_format
from townsquare.moderation.audit_log import safe_cell
from townsquare.surveys.models import SurveyAnswer


def _month(month: date) -> str:
    return month.strftime("%Y-%m")


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _member_name(answer: SurveyAnswer) -> str:
    return answer.member.display_name if answer.member else _("Deleted member")


def _csv(name: str, header: list[str], rows: list[list[str]], period: Period) -> HttpResponse:
    """A table as CSV, UTF-8 with a byte order mark; member-written cells made safe from
    formula injection."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"analytics-{name}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _months_csv(months: list, period: Period) -> HttpResponse:
    header = [_("Month"), _("NPS"), _("NPS answers"), _("CSAT (per cent)"), _("CSAT answers")]
    rows = [
        [_month(m), _figure(n.nps), str(n.answers), _figure(c.csat), str(c.answers)]
        for m, n, c in months
    ]
    return _csv("months", header, rows, period)


def _comments_csv(comments: list[SurveyAnswer], period: Period) -> HttpResponse:
    header = [_("Date (UTC)"), _("Question"), _("Score"), _("Member"), _("Context"), _("Comment")]
    rows = [
        [
            f"{a.created_at:%Y-%m-%d %H:%M}",
            a.kind,
            str(a.score),
            safe_cell(_member_name(a)),
            a.context,
            safe_cell(a.comment),
        ]
        for a in comments
    ]
    return _csv("comments", header, rows, period)


def _trend_chart(months: list) -> charts.Chart:
    return charts.line_chart(
        [
            charts.Series(_("NPS"), [(m, n.nps) for m, n, _c in months]),
            charts.Series(_("CSAT (per cent)"), [(m, c.csat) for m, _n, c in months]),
        ],
        title=_("NPS and CSAT by month"),
        description=_(
            "Each month's NPS (from −100 to 100) and CSAT (per cent satisfied); a gap is a "
            "month without answers."
        ),
        y_label=_("Score"),
    )


@login_required
def satisfaction_page(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    period = filters.period
    tables, months = satisfaction.page(period)
    table = request.GET.get("table", "")
    if request.GET.get("format") == "csv":
        if table == "months":
            return _months_csv(months, period)
        if table == "comments":
            return _comments_csv(satisfaction.latest_comments(period), period)
        return csv_table(request, tables, period)
    return render(
        request,
        "analytics/satisfaction.html",
        filters.context
        | {
            "summary": tables["summary"],
            "groups": tables["groups"],
            "months": months,
            "trend": _trend_chart(months),
            "comments": satisfaction.latest_comments(period),
            "query": query_without_format(request),
        },
    )
