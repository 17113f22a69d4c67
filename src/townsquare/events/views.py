"""Event pages: the list, an event's page with the RSVP form, creating and editing, and
the hosts' attendees page with check-in and the CSV export. Thin: the policy decides,
events.actions changes, events.queries reads."""

import calendar as pycalendar
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from townsquare.analytics.views import csv_file
from townsquare.core import permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.models import Community
from townsquare.core.queries import community_for
from townsquare.events import actions, calendars, proposals, queries, series
from townsquare.events.forms import (
    CheckInForm,
    DeclineForm,
    EventForm,
    FeedbackForm,
    ResourceForm,
    RsvpForm,
    questions_text,
)
from townsquare.events.models import CalendarFeed, Event, EventFormat, Registration
from townsquare.groups.models import Group
from townsquare.moderation.audit_log import safe_cell
from townsquare.surveys import actions as survey_actions
from townsquare.surveys import queries as survey_queries
from townsquare.surveys.models import Kind


def _event_or_404(request: HttpRequest, pk: int) -> Event:
    event = queries.visible_event(request.user, community_for(request), pk)
    if event is None:
        raise Http404(_("No such event."))
    return event


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


def _detail_context(request: HttpRequest, event: Event, rsvp_form: RsvpForm | None) -> dict:
    user = request.user
    registration = queries.own_registration(user, event)
    questions = list(event.questions.all())
    if rsvp_form is None:
        initial = {"status": registration.status if registration else "going"}
        if registration is not None:
            initial["show_me"] = registration.show_me
            initial |= {f"question_{k}": v for k, v in registration.answers.items()}
        rsvp_form = RsvpForm(initial=initial, questions=questions)
    may_manage = permissions.may_manage_event(user, event)
    may_see_attendees = permissions.may_see_attendees(user, event, registration)
    return {
        "event": event,
        "hosts": queries.hosts(event),
        "registration": registration,
        "rsvp_form": rsvp_form,
        "may_register": permissions.may_register(user, event),
        "may_manage": may_manage,
        "may_see_video_link": permissions.may_see_video_link(user, event, registration),
        "video_link_opens": permissions.video_link_opens(event),
        "attendees": queries.shown_attendees(event) if may_see_attendees else None,
        "resources": list(event.resources.all()),
        "counts": queries.counts(event),
        "event_zone_differs": event.timezone != timezone.get_current_timezone_name(),
        "may_see_topic": event.topic_id is not None
        and permissions.may_view_topic(user, community_for(request), event.topic),
        "resource_form": ResourceForm() if may_manage else None,
        **_series_context(request, event),
        **_feedback_context(request, event, registration),
        "may_decide_proposals": permissions.may_decide_proposals(user),
    }


def _series_context(request: HttpRequest, event: Event) -> dict:
    """A repeating event's rule in words and its next occurrences."""
    if event.series_id is None:
        return {}
    return {
        "series_description": series.describe(event.series),
        "next_occurrences": queries.next_occurrences(request.user, community_for(request), event),
    }


@area("events")
def event_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    event = _event_or_404(request, pk)
    return render(request, "events/event_detail.html", _detail_context(request, event, None))


@area("events")
@login_required
@require_POST
def event_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    permissions.require(permissions.may_register(request.user, event))
    form = RsvpForm(request.POST, questions=list(event.questions.all()))
    if form.is_valid():
        try:
            status = actions.rsvp(
                request.user,
                event,
                form.cleaned_data["status"],
                answers=form.answers(),
                show_me=form.cleaned_data["show_me"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if status == "waitlisted":
                messages.info(request, _("The event is full: you are on the waiting list."))
            else:
                messages.success(request, _("Your answer is saved."))
            return redirect(event.get_absolute_url())
    context = _detail_context(request, event, form)
    return render(request, "events/event_detail.html", context, status=400)


def _event_fields(data: dict) -> dict:
    """The event's fields from the form's cleaned data, its times local to its zone read
    as UTC instants (ValidationError for a time the clocks skip or repeat)."""
    zone = data["timezone"]
    return {
        "title": data["title"],
        "description": data["description"],
        "starts_at": actions.local_to_utc(data["starts_at"], zone, "starts_at"),
        "ends_at": actions.local_to_utc(data["ends_at"], zone, "ends_at"),
        "timezone": zone,
        "format": data["format"],
        "video_url": data["video_url"],
        "venue": data["venue"],
        "address": data["address"],
        "capacity": data["capacity"],
        "visibility": data["visibility"],
        "group": data["group"],
    }


def _save_event_form(request: HttpRequest, form: EventForm, event: Event | None) -> Event | None:
    data = dict(form.cleaned_data)
    try:
        fields = _event_fields(data)
        handles = form.handle_list()
        extra = {
            "hosts": actions.members_by_handle(handles) if handles else None,
            "guests": form.guest_list(),
            "questions": form.question_list(),
        }
        if event is None:
            if not permissions.may_create_event(request.user, data["group"]):
                raise ValidationError({"group": _("Choose one of the groups you run.")})
            if extra["hosts"] is None:
                del extra["hosts"]
            return series.create_event(
                request.user,
                repeat=data["repeat"] or series.ONCE,
                rule=data["rule"],
                cover=data["cover"],
                **fields,
                **extra,
            )
        if extra["hosts"] is None:
            extra["hosts"] = [request.user] if not event.hosts.exists() else None
        cover = False if data["remove_cover"] else data["cover"]
        return series.update_event(
            request.user,
            event,
            scope=data.get("scope") or series.THIS,
            repeat=data["repeat"] or None,
            rule=data["rule"],
            cover=cover,
            **fields,
            **extra,
        )
    except ValidationError as error:
        apply_errors(form, error)
        return None


def _event_form_page(
    request: HttpRequest, event: Event | None, groups: QuerySet[Group], initial: dict, done: str
) -> HttpResponse:
    """The create and edit form: shown, or saved and back to the event's page."""
    form = EventForm(
        request.POST or None,
        request.FILES or None,
        groups=groups,
        initial=initial,
        occurrence=event is not None and event.series_id is not None,
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_event_form(request, form, event)
        if saved is not None:
            messages.success(request, done)
            return redirect(saved.get_absolute_url())
    return render(request, "events/event_form.html", {"form": form, "event": event})


@area("events")
@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    groups = queries.groups_for_events(request.user, community)
    permissions.require(permissions.may_create_event(request.user) or groups.exists())
    initial = {"timezone": request.user.timezone, "visibility": "community"}
    return _event_form_page(request, None, groups, initial, _("The event is saved as a draft."))


@area("events")
@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    permissions.require(permissions.may_manage_event(request.user, event))
    zone = zoneinfo.ZoneInfo(event.timezone)
    hosts = queries.hosts(event)
    initial = {
        "title": event.title,
        "description": event.description,
        "starts_at": event.starts_at.astimezone(zone).replace(tzinfo=None),
        "ends_at": event.ends_at.astimezone(zone).replace(tzinfo=None),
        "timezone": event.timezone,
        "format": event.format,
        "video_url": event.video_url,
        "venue": event.venue,
        "address": event.address,
        "capacity": event.capacity,
        "group": event.group_id,
        "visibility": event.visibility,
        "hosts": ", ".join(f"@{h.user.handle}" for h in hosts if h.user_id),
        "guests": "\n".join(f"{h.name}, {h.title}" for h in hosts if not h.user_id),
        "questions": questions_text(list(event.questions.all())),
    }
    if event.series_id is not None:
        repeat = series.preset_of(event.series)
        initial |= {"repeat": repeat, "rule": event.series.rule if repeat == "custom" else ""}
    running = queries.groups_for_events(request.user, community_for(request))
    # The event's own group stays a choice for hosts who do not run it.
    groups = Group.objects.filter(Q(pk__in=running.values("pk")) | Q(pk=event.group_id))
    return _event_form_page(request, event, groups, initial, _("The event is saved."))


def _state_change(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    event = _event_or_404(request, pk)
    permissions.require(permissions.may_manage_event(request.user, event))
    try:
        change(request.user, event)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, done)
    return redirect(event.get_absolute_url())


@area("events")
@login_required
@require_POST
def event_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_change(request, pk, series.publish_event, _("The event is published."))


@area("events")
@login_required
@require_POST
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _state_change(request, pk, actions.cancel_event, _("The event is cancelled."))


@area("events")
@login_required
@require_POST
def event_resource(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    permissions.require(permissions.may_manage_event(request.user, event))
    form = ResourceForm(request.POST)
    if form.is_valid():
        try:
            actions.add_resource(request.user, event, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The resource is added."))
            return redirect(event.get_absolute_url())
    context = _detail_context(request, event, None) | {"resource_form": form}
    return render(request, "events/event_detail.html", context, status=400)


def _attendees_csv(event: Event, registrations: list[Registration]) -> HttpResponse:
    header = [
        _("Name"), _("Handle"), _("Email"), _("Answer"), _("Ticket code"), _("Checked in"),
        *[question.text for question in event.questions.all()],
    ]  # fmt: skip
    question_ids = [str(pk) for pk in event.questions.values_list("pk", flat=True)]
    rows = [
        [
            safe_cell(r.member.display_name),
            safe_cell(r.member.handle),
            safe_cell(r.member.email),
            r.get_status_display(),
            r.ticket_code,
            timezone.localtime(r.checked_in_at).isoformat() if r.checked_in_at else "",
            *[safe_cell(r.answers.get(question_id, "")) for question_id in question_ids],
        ]
        for r in registrations
    ]
    return csv_file(f"event-{event.pk}-attendees.csv", header, rows)


@area("events")
@login_required
def event_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    permissions.require(permissions.may_manage_event(request.user, event))
    registrations = list(queries.attendees(event))
    if request.GET.get("format") == "csv":
        return _attendees_csv(event, registrations)
    form = CheckInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        permissions.require(permissions.may_check_in(request.user, event))
        member_id = request.POST.get("member", "")
        try:
            if member_id.isdigit():
                found = next((r for r in registrations if r.member_id == int(member_id)), None)
                if found is None:
                    raise Http404
                checked = actions.check_in(request.user, event, member=found.member)
            elif form.is_valid():
                checked = actions.check_in(request.user, event, code=form.cleaned_data["code"])
            else:
                checked = None
        except ValidationError as error:
            apply_errors(form, error)
            checked = None
        if checked is not None:
            messages.success(
                request, _("%(name)s is checked in.") % {"name": checked.member.display_name}
            )
            return redirect("events:attendees", pk=event.pk)
        status = 400
    context = {
        "event": event,
        "registrations": registrations,
        "form": form,
        "counts": queries.counts(event),
        "may_check_in": permissions.may_check_in(request.user, event),
        "questions": list(event.questions.all()),
        "feedback": survey_queries.event_feedback(event),
    }
    return render(request, "events/attendees.html", context, status=status)


# --- Member meetups: proposals and the moderators' queue ------------------------------------


def _proposal_form(request: HttpRequest, community) -> EventForm:
    """The event form without what proposals do not choose: repeating, and hosts (the
    proposer hosts). Groups: those the member belongs to."""
    groups = permissions.visible_groups(request.user, community).filter(
        memberships__user=request.user
    )
    form = EventForm(
        request.POST or None,
        request.FILES or None,
        groups=groups.order_by("name"),
        initial={"timezone": request.user.timezone, "visibility": "community"},
    )
    for name in ("repeat", "rule", "hosts"):
        del form.fields[name]
    return form


@area("events")
@login_required
def event_propose(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    permissions.require(permissions.may_propose_event(request.user, community))
    form = _proposal_form(request, community)
    if request.method == "POST" and form.is_valid():
        try:
            event = proposals.propose_event(
                request.user,
                **_event_fields(form.cleaned_data),
                guests=form.guest_list(),
                questions=form.question_list(),
                cover=form.cleaned_data["cover"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your proposal is sent to the moderators."))
            return redirect(event.get_absolute_url())
    return render(request, "events/event_form.html", {"form": form, "proposing": True})


@login_required
def proposal_queue(request: HttpRequest) -> HttpResponse:
    """The moderators' queue of member proposals, the oldest first."""
    permissions.require(permissions.may_decide_proposals(request.user))
    page = Paginator(proposals.pending_proposals(), settings.EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "events/proposals.html", {"page": page, "decline_form": DeclineForm()})


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require(permissions.may_decide_proposals(request.user))
    event = _event_or_404(request, pk)
    try:
        if "approve" in request.POST:
            proposals.approve_proposal(request.user, event)
            messages.success(request, _("The proposal is approved and published."))
        else:
            proposals.decline_proposal(request.user, event, request.POST.get("reason", ""))
            messages.success(request, _("The proposal is declined; its proposer is told why."))
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("events:proposals")


# --- Feedback: "How was it?" --------------------------------------------------------------


def _feedback_context(
    request: HttpRequest, event: Event, registration: Registration | None
) -> dict:
    """ "How was it?" for an attendee once the event is over (asked once), and what the
    hosts see of the answers."""
    user = request.user
    asked = permissions.may_give_event_feedback(user, event, registration)
    given = asked and survey_queries.gave_event_feedback(user, event)
    shown = permissions.may_see_event_feedback(user, event)
    return {
        "feedback_form": FeedbackForm() if asked and not given else None,
        "feedback_given": given,
        "feedback": survey_queries.event_feedback(event) if shown else None,
    }


@area("events")
@login_required
@require_POST
def event_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            survey_actions.answer(
                request.user,
                Kind.CSAT,
                form.cleaned_data["score"],
                form.cleaned_data["comment"],
                context=survey_queries.event_context(event),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Thank you for telling us how it was."))
            return redirect(event.get_absolute_url())
    context = _detail_context(request, event, None) | {"feedback_form": form}
    return render(request, "events/event_detail.html", context, status=400)


# --- Calendar files and the personal calendar feed ----------------------------------------


@area("events")
@require_safe
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_or_404(request, pk)
    body = calendars.event_file(event, community_for(request))
    return calendars.response(body, calendars.event_filename(event))


@area(OPEN)  # calendar apps cannot sign in: the secret address is the key
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("member").filter(token=token).first()
    if feed is None or not permissions.may_use_calendar_feed(feed.member, feed.member):
        raise Http404(_("No such calendar."))
    body = calendars.feed_file(feed.member, community_for(request))
    return calendars.response(body, "calendar.ics", download=False)


def _feed_addresses(request: HttpRequest, feed: CalendarFeed) -> dict[str, str]:
    address = request.build_absolute_uri(reverse("events:calendar_feed", args=[feed.token]))
    return {"web": address, "webcal": "webcal://" + address.split("://", 1)[1]}


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The member's calendar feed: its secret address, created on first use (a POST)."""
    if request.method == "POST":
        actions.calendar_feed(request.user, request.user)
        return redirect("events:calendar_settings")
    feed = CalendarFeed.objects.filter(member=request.user).first()
    addresses = _feed_addresses(request, feed) if feed is not None else None
    return render(request, "events/calendar_settings.html", {"addresses": addresses})


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    actions.reset_calendar_feed(request.user, request.user)
    messages.success(request, _("Your calendar has a new address: the old one no longer works."))
    return redirect("events:calendar_settings")
