"""/manage/analytics/events/: the events figures against the previous period, the
events held and the most engaged attendees; every table as CSV (``?format=csv``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from townsquare.analytics import events
from townsquare.analytics.periods import Period
from townsquare.analytics.views import (
    _number,
    analytics_filters,
    csv_response,
    csv_table,
    query_without_format,
)
from townsquare.moderation.audit_log import safe_cell


def _events_csv(lines: list[events.EventLine], period: Period) -> HttpResponse:
    return csv_response(
        "events",
        [
            _("Event"),
            _("Date (UTC)"),
            _("Going"),
            _("Attended"),
            _("No-shows"),
            _("Feedback (1–5)"),
        ],
        [
            [
                safe_cell(line.title),
                f"{line.starts_at:%Y-%m-%d %H:%M}",
                line.going,
                line.attended,
                line.no_shows,
                _number(line.feedback),
            ]
            for line in lines
        ],
        period,
    )


def _attendees_csv(found: list[events.Attendee], period: Period) -> HttpResponse:
    return csv_response(
        "attendees",
        [_("Member"), _("Events attended")],
        [
            [
                safe_cell(item.member.display_name if item.member else _("Deleted member")),
                item.attended,
            ]
            for item in found
        ],
        period,
    )


@login_required
def events_page(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    period = filters.period
    tables = {"summary": events.summary(period)}
    lines = events.held_events(period)
    engaged = events.most_engaged(period)
    if request.GET.get("format") == "csv":
        table = request.GET.get("table", "")
        if table == "events":
            return _events_csv(lines, period)
        if table == "attendees":
            return _attendees_csv(engaged, period)
        return csv_table(request, tables, period)
    return render(
        request,
        "analytics/events.html",
        filters.context
        | {
            "summary": tables["summary"],
            "lines": lines,
            "engaged": engaged,
            "query": query_without_format(request),
        },
    )
