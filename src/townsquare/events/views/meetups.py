"""Member meetups: members propose an event, moderators approve or decline it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.queries import community_for
from townsquare.events import proposals, queries
from townsquare.events.forms import (
    DeclineForm,
    EventForm,
)


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
                **form.event_fields(),
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
    event = queries.visible_event_or_404(request, pk)
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
