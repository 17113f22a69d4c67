"""Staff page of one member: their sanctions and notices, and warning, silencing,
suspending and lifting (moderation.actions.sanctions)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.moderation import queries
from townsquare.moderation.actions import sanctions
from townsquare.moderation.models import Sanction
from townsquare.moderation.sanction_forms import LiftForm, SanctionForm


def _member(request: HttpRequest, member_id: int) -> User:
    permissions.require(permissions.may_review(request.user))
    return get_object_or_404(User, pk=member_id)


def _page(request: HttpRequest, member: User, form: SanctionForm, status: int = 200):
    items = queries.member_sanctions(member)
    for sanction in items:
        sanction.in_force = sanctions.is_in_force(sanction)
    context = {
        "member": member,
        "sanctions": items,
        "notices": list(queries.member_notices(member)),
        "form": form,
        "lift_form": LiftForm(),
        "may_sanction": permissions.may_sanction(request.user, member),
        "silenced": permissions.is_silenced(member),
        "suspended": permissions.is_suspended(member),
    }
    return render(request, "moderation/member.html", context, status=status)


@login_required
def member_page(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    form = SanctionForm(request.POST or None)
    if request.method == "POST":
        permissions.require(permissions.may_sanction(request.user, member))
        if form.is_valid():
            data = form.cleaned_data
            common = {"reason": data["reason"], "guideline": data["guideline"]}
            try:
                if data["kind"] == "warn":
                    sanctions.warn(request.user, member, **common)
                elif data["kind"] == "silence":
                    sanctions.silence(request.user, member, until=data["end"], **common)
                else:
                    sanctions.suspend(request.user, member, until=data["end"], **common)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Done: the member was sent a notice."))
                return redirect("moderation:member", member.pk)
        return _page(request, member, form, status=400)
    return _page(request, member, form)


@login_required
@require_POST
def lift(request: HttpRequest, member_id: int, sanction_id: int) -> HttpResponse:
    member = _member(request, member_id)
    sanction = get_object_or_404(Sanction, pk=sanction_id, member=member)
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you lift it: the member is told."))
        return redirect("moderation:member", member.pk)
    try:
        sanctions.lift(request.user, sanction, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Lifted: the member was sent a notice."))
    return redirect("moderation:member", member.pk)
