"""Flagging (members) and the review queue (moderators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.forum.models import Post, Topic
from townsquare.messaging.models import Message
from townsquare.moderation import queries
from townsquare.moderation.actions import review
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.forms import DecisionForm, FlagForm
from townsquare.moderation.guidelines import guideline_sections
from townsquare.moderation.models import Decision, FlagReason, ReviewItem, ReviewStatus

QUEUE_PAGE_SIZE = 50


@login_required
def flag_form(request: HttpRequest, kind: str, ref: str) -> HttpResponse:
    """Flag a post, a topic, a member's profile or a message; works without JavaScript."""
    target = queries.flag_target(request.user, kind, ref)
    if not permissions.may_flag(request.user):
        raise PermissionDenied
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag(
                request.user,
                target,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Thank you. The moderators will look at it and decide what to do.")
            )
            return redirect(queries.target_url(target))
    return render(
        request,
        "moderation/flag.html",
        {"form": form, "target": target, "kind": kind, "back": queries.target_url(target)},
    )


def _require_reviewer(request: HttpRequest) -> None:
    if not request.user.is_authenticated or not permissions.may_review(request.user):
        raise PermissionDenied


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Pending items, oldest first, filtered by kind and flag reason."""
    _require_reviewer(request)
    kind = request.GET.get("kind", "")
    reason = request.GET.get("reason", "")
    try:
        items = queries.pending_items(kind=kind or None, reason=reason or None)
    except ValidationError:
        kind = reason = ""
        items = queries.pending_items()
    page = Paginator(items, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    queries.attach_targets(list(page.object_list))
    return render(
        request,
        "moderation/queue.html",
        {
            "page": page,
            "kind": kind,
            "reason": reason,
            "kinds": queries.QUEUE_KINDS,
            "reasons": FlagReason.choices,
        },
    )


def _context_of(item: ReviewItem) -> dict:
    """The item's content as moderators need it: the post among its neighbours, the
    topic's opening, the message alone, the profile, or the queued payload."""
    target = item.target
    if isinstance(target, Post):
        return {"topic": target.topic, "posts": queries.post_in_context(target)}
    if isinstance(target, Topic):
        opening = Post.objects.filter(topic=target, number=1).first()
        return {"topic": target, "posts": queries.post_in_context(opening) if opening else []}
    if isinstance(target, Message):
        return {"message": target}
    return {}


@login_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    _require_reviewer(request)
    item = get_object_or_404(ReviewItem.objects.select_related("author", "decided_by"), pk=item_id)
    queries.attach_targets([item])
    target = item.target
    labels = dict(Decision.choices)
    decisions = [(d, labels[d]) for d in review.allowed_decisions(item, target)]
    body = None
    if isinstance(target, Post):
        body = target.body
    elif isinstance(target, Topic):
        body = Post.objects.filter(topic=target, number=1).values_list("body", flat=True).first()
    form = DecisionForm(
        request.POST or None,
        decisions=decisions,
        sections=guideline_sections(),
        initial={"body": body},
    )
    if request.method == "POST" and item.status == ReviewStatus.PENDING and form.is_valid():
        data = form.cleaned_data
        try:
            review.decide(
                request.user, item, data["decision"],
                reason=data["reason"], guideline=data["guideline"], body=data["body"],
                sanction=data["member_action"] or None, days=data["days"],
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Decided. The next item is at the top of the queue."))
            return redirect("moderation:queue")
    elif request.method == "POST" and item.status != ReviewStatus.PENDING:
        messages.error(request, _("This item was already decided."))
    # An anonymous post's author stays unknown here as on the topic page: revealing is a
    # separate, recorded look.
    anonymous = getattr(target, "is_anonymous", False)
    history = (
        queries.author_history(item.author, excluding=item)
        if item.author is not None and not anonymous
        else None
    )
    return render(
        request,
        "moderation/item.html",
        {
            "item": item,
            "target": target,
            "form": form,
            "history": history,
            "anonymous": anonymous,
            "is_pending": item.status == ReviewStatus.PENDING,
            **_context_of(item),
        },
    )
