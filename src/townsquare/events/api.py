"""Events in the JSON API (``/api/v1/events``): the same policy and actions as the pages.
An event the caller may not see is "not found". Times are written local to the event's
time zone (naive ISO 8601) and answered both in UTC and locally. See docs/api.md."""

import zoneinfo
from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from townsquare.api.access import require_area
from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.events import actions, calendars, queries, registrations, series
from townsquare.events.models import Event, EventFormat, Registration, Visibility
from townsquare.surveys import actions as survey_actions
from townsquare.surveys import queries as survey_queries
from townsquare.surveys.models import Kind

router = Router(tags=["events"])

Repeat = Literal["once", "weekly", "monthly_weekday", "monthly_day", "custom"]


class SeriesOut(Schema):
    rule: str = Field(..., description="The iCalendar RRULE, in the event's time zone.")
    description: str = Field(..., description="The rule in words.")


class EventOut(Schema):
    id: int
    title: str
    description: str
    description_html: str
    starts_at: datetime = Field(..., description="UTC")
    ends_at: datetime = Field(..., description="UTC")
    timezone: str
    local_starts_at: str = Field(..., description="The start in the event's time zone.")
    format: str
    venue: str
    address: str
    video_url: str | None = Field(None, description="Only when the caller may see it.")
    capacity: int | None
    visibility: str
    group: str | None = Field(None, description="The group's address (slug).")
    status: str
    going: int
    my_status: str | None = None
    url: str
    series: SeriesOut | None = Field(None, description="For an occurrence of a series.")


class EventList(Schema):
    results: list[EventOut]


class EventIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=20000)
    starts_at: datetime = Field(..., description="Local to ``timezone``, without an offset.")
    ends_at: datetime = Field(..., description="Local to ``timezone``, without an offset.")
    timezone: str = Field("UTC", max_length=64)
    format: EventFormat = EventFormat.ONLINE
    capacity: int | None = Field(None, ge=1)
    video_url: str = Field("", max_length=500)
    venue: str = Field("", max_length=200)
    address: str = Field("", max_length=300)
    visibility: Visibility = Visibility.COMMUNITY
    group: str | None = Field(None, description="A group's address (slug).")
    repeat: Repeat = Field(
        "once", description="once, weekly, monthly_weekday, monthly_day or custom (with rule)."
    )
    rule: str = Field("", max_length=500, description="With repeat=custom: an RRULE.")


class RsvpIn(Schema):
    status: str = Field(..., description="going, maybe or not_going")
    show_me: bool | None = None
    answers: dict[str, str] | None = Field(None, description="Question id -> answer.")


class RsvpOut(Schema):
    status: str = Field(..., description="going, maybe, not_going or waitlisted")


class AttendeeOut(Schema):
    handle: str
    display_name: str
    status: str
    ticket_code: str
    checked_in_at: datetime | None
    answers: dict[str, str]


class AttendeeList(Schema):
    results: list[AttendeeOut]


def _event_out(request: HttpRequest, event: Event, registration: Registration | None) -> dict:
    zone = zoneinfo.ZoneInfo(event.timezone)
    link_allowed = permissions.may_see_video_link(request.user, event, registration)
    return {
        "id": event.pk,
        "title": event.title,
        "description": event.description,
        "description_html": event.description_html,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "local_starts_at": event.starts_at.astimezone(zone).replace(tzinfo=None).isoformat(),
        "format": event.format,
        "venue": event.venue,
        "address": event.address,
        "video_url": event.video_url if link_allowed else None,
        "capacity": event.capacity,
        "visibility": event.visibility,
        "group": event.group.slug if event.group_id else None,
        "status": event.status,
        "going": getattr(event, "going", 0),
        "my_status": registration.status if registration else None,
        "url": request.build_absolute_uri(event.get_absolute_url()),
        "series": _series_out(event),
    }


def _series_out(event: Event) -> dict | None:
    if event.series_id is None:
        return None
    return {"rule": event.series.rule, "description": series.describe(event.series)}


def _detail(request: HttpRequest, event: Event) -> dict:
    event.going = queries.counts(event)["going"]
    return _event_out(request, event, queries.own_registration(request.user, event))


@router.get("/events", response=EventList, summary="Upcoming (or past) events")
def list_events(
    request: HttpRequest,
    past: bool = False,
    group: str = "",
    format: EventFormat | None = None,
    q: str = "",
) -> dict:
    require_area(request, "events")
    community = community_for(request)
    in_group = None
    if group:
        in_group = permissions.visible_groups(request.user, community).filter(slug=group).first()
        if in_group is None:
            raise Http404
    events = queries.event_list(
        request.user, community, past=past, group=in_group, format=format or "", search=q[:100]
    )[:200]
    results = []
    for event in events:
        # The list already knows the caller's answer: no query per event.
        status = getattr(event, "viewer_status", None)
        own = Registration(member_id=request.user.pk, status=status) if status else None
        queries.remember_host(request.user, event)
        results.append(_event_out(request, event, own))
    return {"results": results}


@router.post(
    "/events",
    response={201: EventOut},
    auth=member_auth,
    summary="Create a draft event (community managers; group owners for their group)",
)
def create_event(request: HttpRequest, payload: EventIn) -> Status:
    require_area(request, "events")
    group = None
    if payload.group:
        community = community_for(request)
        group = permissions.visible_groups(request.user, community).filter(slug=payload.group)
        group = group.first()
        if group is None:
            raise Http404
    zone = payload.timezone
    event = series.create_event(
        request.user,
        repeat=payload.repeat,
        rule=payload.rule,
        title=payload.title,
        description=payload.description,
        starts_at=actions.local_to_utc(payload.starts_at, zone, "starts_at"),
        ends_at=actions.local_to_utc(payload.ends_at, zone, "ends_at"),
        timezone=zone,
        format=payload.format,
        capacity=payload.capacity,
        video_url=payload.video_url,
        venue=payload.venue,
        address=payload.address,
        visibility=payload.visibility,
        group=group,
    )
    return Status(201, _detail(request, queries.visible_event_or_404(request, event.pk)))


@router.get("/events/{int:event_id}", response=EventOut, summary="One event")
def get_event(request: HttpRequest, event_id: int) -> dict:
    require_area(request, "events")
    return _detail(request, queries.visible_event_or_404(request, event_id))


@router.post(
    "/events/{event_id}/rsvp",
    response=RsvpOut,
    auth=member_auth,
    summary='Answer going, maybe or not going; the answer may be "waitlisted"',
)
def rsvp(request: HttpRequest, event_id: int, payload: RsvpIn) -> dict:
    require_area(request, "events")
    event = queries.visible_event_or_404(request, event_id)
    status = registrations.rsvp(
        request.user, event, payload.status, answers=payload.answers, show_me=payload.show_me
    )
    return {"status": status}


@router.get(
    "/events/{event_id}/attendees",
    response=AttendeeList,
    auth=member_auth,
    summary="Everyone who answered, with tickets and check-ins (hosts)",
)
def attendees(request: HttpRequest, event_id: int) -> dict:
    require_area(request, "events")
    event = queries.visible_event_or_404(request, event_id)
    if not permissions.may_manage_event(request.user, event):
        raise Http404  # who answered is the hosts' to know
    return {
        "results": [
            {
                "handle": r.member.handle,
                "display_name": r.member.display_name,
                "status": r.status,
                "ticket_code": r.ticket_code,
                "checked_in_at": r.checked_in_at,
                "answers": r.answers,
            }
            for r in queries.attendees(event)
        ]
    }


# --- Feedback ("How was it?") ------------------------------------------------------------


class FeedbackIn(Schema):
    # Any JSON value: surveys.actions answers a bad score with a clear message and field.
    score: Any = Field(..., description="1 (poor) to 5 (excellent)")
    comment: str = Field("", description="Optional, at most 2000 characters.")


class FeedbackOut(Schema):
    score: int
    comment: str


@router.post(
    "/events/{event_id}/feedback",
    response={201: FeedbackOut},
    auth=member_auth,
    summary="An attendee rates an event that is over, once (feeds the CSAT figures)",
)
def feedback(request: HttpRequest, event_id: int, payload: FeedbackIn) -> Status:
    require_area(request, "events")
    event = queries.visible_event_or_404(request, event_id)
    answer = survey_actions.answer(
        request.user,
        Kind.CSAT,
        payload.score,
        payload.comment,
        context=survey_queries.event_context(event),
    )
    return Status(201, {"score": answer.score, "comment": answer.comment})


# --- Calendar files ---------------------------------------------------------------------------

# Not JSON: the OpenAPI document says what comes back instead.
ICS_RESPONSE = {
    "responses": {
        200: {
            "description": "An iCalendar (RFC 5545) file.",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(
    "/events.ics",
    auth=member_auth,
    summary="The caller's own calendar: the events they go to (text/calendar)",
    openapi_extra=ICS_RESPONSE,
)
def own_calendar(request: HttpRequest) -> HttpResponse:
    require_area(request, "events")
    body = calendars.feed_file(request.user, community_for(request))
    return calendars.response(body, "calendar.ics", download=False)


@router.get(
    "/events/{int:event_id}.ics",
    summary="One event as an iCalendar file",
    openapi_extra=ICS_RESPONSE,
)
def event_calendar(request: HttpRequest, event_id: int) -> HttpResponse:
    require_area(request, "events")
    event = queries.visible_event_or_404(request, event_id)
    return calendars.response(
        calendars.event_file(event, community_for(request)), calendars.event_filename(event)
    )
