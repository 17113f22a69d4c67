"""An event's page: the details, the answer (RSVP) form with its questions, and "How was
it?" after the event."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for
from townsquare.events import queries, registrations, series
from townsquare.events.forms import (
    FeedbackForm,
    ResourceForm,
    RsvpForm,
)
from townsquare.events.models import Event, Registration
from townsquare.surveys import actions as survey_actions
from townsquare.surveys import queries as survey_queries
from townsquare.surveys.models import Kind


def detail_context(request: HttpRequest, event: Event, rsvp_form: RsvpForm | None) -> dict:
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
    event = queries.visible_event_or_404(request, pk)
    return render(request, "events/event_detail.html", detail_context(request, event, None))


@area("events")
@login_required
@require_POST
def event_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.visible_event_or_404(request, pk)
    permissions.require(permissions.may_register(request.user, event))
    form = RsvpForm(request.POST, questions=list(event.questions.all()))
    if form.is_valid():
        try:
            status = registrations.rsvp(
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
    context = detail_context(request, event, form)
    return render(request, "events/event_detail.html", context, status=400)


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
    event = queries.visible_event_or_404(request, pk)
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
    context = detail_context(request, event, None) | {"feedback_form": form}
    return render(request, "events/event_detail.html", context, status=400)
