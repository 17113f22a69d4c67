"""Pages for direct messages. Thin: find through the policy (a conversation one is not in is
"not found", exactly like one that does not exist), change through ``messaging.actions``.

No ``@area``: these pages are for signed-in members in every access mode."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.messaging import actions, queries
from townsquare.messaging.forms import (
    NewConversationForm,
    ReplyForm,
    show_errors,
    split_handles,
)
from townsquare.messaging.models import Conversation, Message
from townsquare.moderation.forms import FlagForm

INBOX_PAGE_SIZE = 30


def conversation_or_404(request: HttpRequest, conversation_id: int) -> Conversation:
    """A conversation the member takes part in; any other id answers 404."""
    return get_object_or_404(permissions.visible_conversations(request.user), pk=conversation_id)


def _member_or_404(request: HttpRequest, handle: str) -> User:
    members = permissions.visible_members(request.user, community_for(request))
    return get_object_or_404(members, handle__iexact=handle)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.inbox(request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "messaging/inbox.html", {"page": page})


@login_required
def new_conversation(request: HttpRequest) -> HttpResponse:
    initial = {"participants": " ".join(split_handles(request.GET.get("to", "")))}
    form = NewConversationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = actions.start_conversation(
                request.user,
                community_for(request),
                split_handles(form.cleaned_data["participants"]),
                form.cleaned_data["body"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            return redirect("messaging:conversation", conversation.pk)
    return render(request, "messaging/new.html", {"form": form})


def _conversation_context(request: HttpRequest, conversation: Conversation, form) -> dict:
    people = queries.conversation_people(conversation)
    others = [person for person in people if person.pk != request.user.pk]
    return {
        "conversation": conversation,
        "people": people,
        "others": others,
        "page": queries.message_page(conversation, request.GET.get("page", "last")),
        "form": form,
        "may_send": permissions.may_send_message(request.user, conversation),
        "blocked_ids": permissions.blocked_either_way(request.user, others),
    }


@login_required
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = conversation_or_404(request, conversation_id)
    context = _conversation_context(request, found, ReplyForm())
    shown = context["page"].messages
    if shown:
        actions.mark_read(request.user, found, shown[-1].pk)
    return render(request, "messaging/conversation.html", context)


@login_required
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = conversation_or_404(request, conversation_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message = actions.send_message(request.user, found, form.cleaned_data["body"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            if request.htmx:  # the page appends the message and gets an empty form back
                return render(
                    request,
                    "messaging/_sent.html",
                    {"message": message, "conversation": found, "form": ReplyForm()},
                )
            return redirect(reverse("messaging:conversation", args=[found.pk]) + "#latest")
    if request.htmx:  # 200: htmx swaps only successful answers, and the form shows errors
        return render(
            request, "messaging/_sent.html", {"conversation": found, "form": form, "message": None}
        )
    context = _conversation_context(request, found, form)
    return render(request, "messaging/conversation.html", context, status=422)


@login_required
@require_POST
def leave(request: HttpRequest, conversation_id: int) -> HttpResponse:
    found = conversation_or_404(request, conversation_id)
    actions.leave_conversation(request.user, found)
    messages.success(request, _("You left the conversation."))
    return redirect("messaging:inbox")


@login_required
def report(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    found = conversation_or_404(request, conversation_id)
    message = get_object_or_404(
        Message.objects.select_related("author"), pk=message_id, conversation=found
    )
    if not permissions.may_report_message(request.user, message):
        raise Http404
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_message(
                request.user, message, form.cleaned_data["reason"], form.cleaned_data["note"]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Thank you. The moderators will look at this message."))
            return redirect("messaging:conversation", found.pk)
    return render(
        request, "messaging/report.html", {"form": form, "message": message, "conversation": found}
    )


@login_required
@require_POST
def block(request: HttpRequest, handle: str) -> HttpResponse:
    member = _member_or_404(request, handle)
    if request.POST.get("unblock"):
        actions.unblock_member(request.user, member)
        messages.success(request, _("You unblocked @%(handle)s.") % {"handle": member.handle})
    else:
        try:
            actions.block_member(request.user, member)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("You blocked @%(handle)s. You will not get messages or mentions from them.")
                % {"handle": member.handle},
            )
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("member_detail", member.handle)


def reports(request: HttpRequest) -> HttpResponse:
    """Reported messages are in the one review queue now; old links lead there."""
    return redirect(f"{reverse('moderation:queue')}?kind=message", permanent=True)
