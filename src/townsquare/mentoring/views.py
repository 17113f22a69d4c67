"""Mentoring pages: one's own (opt in, suggestions, requests) and the managers' overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.queries import community_for
from townsquare.mentoring import actions, queries
from townsquare.mentoring.forms import MentoringProfileForm, MentorRequestForm
from townsquare.mentoring.models import MentoringProfile, MentorRequest


def _profile_form(request: HttpRequest) -> MentoringProfileForm:
    profile = MentoringProfile.objects.filter(user=request.user).first()
    initial = {}
    if profile is not None:
        initial = {
            "is_mentor": profile.is_mentor,
            "is_mentee": profile.is_mentee,
            "areas": ", ".join(tag.name for tag in profile.areas.all()),
            "about": profile.about,
            "capacity": profile.capacity,
        }
    return MentoringProfileForm(request.POST or None, initial=initial or {"capacity": 2})


@area("members")
@login_required
def mentoring(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_join_mentoring(request.user))
    form = _profile_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_mentoring_profile(request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your mentoring profile is saved."))
            return redirect("mentoring:home")
    profile = MentoringProfile.objects.filter(user=request.user).first()
    suggestions = []
    if profile is not None and profile.is_mentee:
        suggestions = queries.suggested_mentors(request.user, community_for(request))
    sent, received = queries.requests_for(request.user)
    return render(
        request,
        "mentoring/mentoring.html",
        {
            "form": form,
            "profile": profile,
            "suggestions": suggestions,
            "sent": sent,
            "received": received,
            "request_form": MentorRequestForm(),
        },
    )


@area("members")
@login_required
@require_POST
def ask(request: HttpRequest, handle: str) -> HttpResponse:
    visible = permissions.visible_members(request.user, community_for(request))
    mentor = get_object_or_404(visible, handle__iexact=handle)
    form = MentorRequestForm(request.POST)
    if form.is_valid():
        try:
            actions.request_mentor(request.user, mentor, form.cleaned_data["note"])
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(
                request,
                _("Your request is on its way to %(name)s.") % {"name": mentor.display_name},
            )
    else:
        messages.error(request, _("Tell the mentor in a few words what you hope for."))
    return redirect("mentoring:home")


DONE = {
    "accept": gettext_lazy("You are now the mentor of %(name)s."),
    "decline": gettext_lazy("You declined the request of %(name)s."),
    "withdraw": gettext_lazy("You withdrew your request to %(name)s."),
}


@area("members")
@login_required
@require_POST
def answer(request: HttpRequest, request_id: int, decision: str) -> HttpResponse:
    """Accept or decline (the mentor), withdraw (the mentee); others get a 404. Accepting
    opens a conversation between the two and goes there."""
    own = MentorRequest.objects.filter(Q(mentor=request.user) | Q(mentee=request.user))
    mentor_request = get_object_or_404(own.select_related("mentee", "mentor"), pk=request_id)
    permissions.require(decision in DONE)
    try:
        if decision == "accept":
            actions.accept_request(request.user, mentor_request, community_for(request))
        elif decision == "decline":
            actions.decline_request(request.user, mentor_request)
        else:
            actions.withdraw_request(request.user, mentor_request)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect("mentoring:home")
    other = mentor_request.mentor if decision == "withdraw" else mentor_request.mentee
    messages.success(request, DONE[decision] % {"name": other.display_name})
    if mentor_request.conversation_id:
        return redirect("messaging:conversation", mentor_request.conversation_id)
    return redirect("mentoring:home")


@area("members")
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_oversee_mentoring(request.user))
    pairs, pending = queries.overview()
    return render(request, "mentoring/overview.html", {"pairs": pairs, "pending": pending})
