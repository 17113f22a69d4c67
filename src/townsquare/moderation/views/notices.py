"""A member's notices from the moderators, their answers (appeals), and the page a
suspended member sees instead of signing in."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.forms import flash_errors
from townsquare.moderation import notices, queries
from townsquare.moderation.models import Notice
from townsquare.moderation.sanction_forms import AppealForm


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    member = request.user
    items = queries.notices_page(member)
    notices.mark_read(member)
    return render(
        request,
        "moderation/notices.html",
        {"notices": items, "form": AppealForm(), "silenced": permissions.is_silenced(member)},
    )


@login_required
@require_POST
def appeal(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=notice_id, member=request.user)
    form = AppealForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{_notices_url()}#notice-{notice.pk}")
    try:
        message = notices.appeal(request.user, notice, body=form.cleaned_data["body"])
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(f"{_notices_url()}#notice-{notice.pk}")
    messages.success(request, _("Your answer was sent to the moderators."))
    return redirect("messaging:conversation", message.conversation_id)


def _notices_url() -> str:
    return reverse("moderation:notices")


def suspended_page(request: HttpRequest, member: User) -> HttpResponse:
    """What a suspended member sees when they sign in or come back: until when, why, and
    where to write to the moderators."""
    sanction = queries.suspension_in_force(member)
    with timezone.override(member.timezone):
        response = render(
            request,
            "moderation/suspended.html",
            {
                "sanction": sanction,
                "message": queries.suspension_message(member),
                "contact": notices.contact_address(),
            },
            status=403,
        )
    return response
