"""Running events: creating and editing (a series too), publishing and cancelling, the
resources shared afterwards, and the hosts' attendees page with check-in and the CSV
export."""

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.analytics.views import csv_file
from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.queries import community_for
from townsquare.events import actions, queries, registrations, series
from townsquare.events.forms import (
    CheckInForm,
    EventForm,
    ResourceForm,
    questions_text,
)
from townsquare.events.models import Event, Registration
from townsquare.events.views.detail import detail_context
from townsquare.groups.models import Group
from townsquare.moderation.audit_log import safe_cell
from townsquare.surveys import queries as survey_queries


def _save_event_form(request: HttpRequest, form: EventForm, event: Event | None) -> Event | None:
    data = dict(form.cleaned_data)
    try:
        fields = form.event_fields()
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
    event = queries.visible_event_or_404(request, pk)
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
    event = queries.visible_event_or_404(request, pk)
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
    event = queries.visible_event_or_404(request, pk)
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
    context = detail_context(request, event, None) | {"resource_form": form}
    return render(request, "events/event_detail.html", context, status=400)


def _attendees_csv(event: Event, attendees: list[Registration]) -> HttpResponse:
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
        for r in attendees
    ]
    return csv_file(f"event-{event.pk}-attendees.csv", header, rows)


@area("events")
@login_required
def event_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.visible_event_or_404(request, pk)
    permissions.require(permissions.may_manage_event(request.user, event))
    attendees = list(queries.attendees(event))
    if request.GET.get("format") == "csv":
        return _attendees_csv(event, attendees)
    form = CheckInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        permissions.require(permissions.may_check_in(request.user, event))
        member_id = request.POST.get("member", "")
        try:
            if member_id.isdigit():
                found = next((r for r in attendees if r.member_id == int(member_id)), None)
                if found is None:
                    raise Http404
                checked = registrations.check_in(request.user, event, member=found.member)
            elif form.is_valid():
                checked = registrations.check_in(
                    request.user, event, code=form.cleaned_data["code"]
                )
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
        "registrations": attendees,
        "form": form,
        "counts": queries.counts(event),
        "may_check_in": permissions.may_check_in(request.user, event),
        "questions": list(event.questions.all()),
        "feedback": survey_queries.event_feedback(event),
    }
    return render(request, "events/attendees.html", context, status=status)
