"""The events list (upcoming and past, with filters and search) and the month view."""

import calendar as pycalendar
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.models import Community
from townsquare.core.queries import community_for
from townsquare.events import queries, series
from townsquare.events.models import Event, EventFormat


def _filters(request: HttpRequest, community: Community) -> dict:
    """The filters the list and the month view share, read from the query string (unknown
    values are ignored), and the groups to choose from."""
    fmt = request.GET.get("format", "")
    if fmt not in EventFormat.values:
        fmt = ""
    groups = permissions.visible_groups(request.user, community).order_by("name")
    group = (
        groups.filter(slug=request.GET.get("group", "")).first() if "group" in request.GET else None
    )
    location = " ".join(request.GET.get("location", "").split())[:100]
    return {"group": group, "format": fmt, "location": location, "groups": groups}


@area("events")
def event_list(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    past = "past" in request.GET
    filters = _filters(request, community)
    search = " ".join(request.GET.get("q", "").split())[:100]
    events = queries.event_list(
        request.user,
        community,
        past=past,
        group=filters["group"],
        format=filters["format"],
        search=search,
        location=filters["location"],
    )
    page = Paginator(events, settings.EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    for event in page:
        if event.series_id is not None:  # loaded with the list: no query
            event.series_description = series.describe(event.series)
    return render(
        request,
        "events/event_list.html",
        {
            "page": page,
            "past": past,
            "search": search,
            "formats": EventFormat.choices,
            **filters,
            "may_create": permissions.may_create_event(request.user)
            or queries.groups_for_events(request.user, community).exists(),
            "may_propose": permissions.may_propose_event(request.user, community),
        },
    )


def _month_weeks(year: int, month: int, events: list[Event]) -> list[list[dict]]:
    """The month's grid: weeks of days (with the days of the months around it to fill the
    first and last week), each day with its events by their start in the current zone.
    The week starts on the day the current language's formats name (Monday for pl and
    zh-hans, Sunday for en)."""
    by_day: dict[date, list[Event]] = {}
    for event in events:
        by_day.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    # Django counts weekdays from Sunday (0), the calendar module from Monday (0).
    first_weekday = (int(get_format("FIRST_DAY_OF_WEEK")) - 1) % 7
    today = timezone.localdate()
    return [
        [
            {
                "date": day,
                "in_month": day.month == month,
                "is_today": day == today,
                "events": by_day.get(day, []),
            }
            for day in week
        ]
        for week in pycalendar.Calendar(first_weekday).monthdatescalendar(year, month)
    ]


@area("events")
def event_calendar_now(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(reverse("events:calendar", args=[today.year, today.month]) + query)


@area("events")
def event_calendar(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month view: the listed events of a month, by day in the viewer's time zone."""
    if not (1 <= month <= 12 and 1900 <= year <= 9998):
        raise Http404
    community = community_for(request)
    filters = _filters(request, community)
    zone = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    before = start.date() - timedelta(days=1)
    events = queries.month_events(
        request.user,
        community,
        start,
        after,
        group=filters["group"],
        format=filters["format"],
        location=filters["location"],
    )
    weeks = _month_weeks(year, month, events)
    return render(
        request,
        "events/event_calendar.html",
        {
            "month": start.date(),
            "weeks": weeks,
            "weekdays": [day["date"] for day in weeks[0]],
            "has_events": bool(events),
            "previous_month": before,
            "next_month": after.date(),
            "query": f"?{request.GET.urlencode()}" if request.GET else "",
            "formats": EventFormat.choices,
            **filters,
        },
    )
