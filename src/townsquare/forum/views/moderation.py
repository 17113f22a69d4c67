"""Moderators' pages on topics: pin, close, archive, unlist, move, split, merge, reveal."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for
from townsquare.forum import actions
from townsquare.forum.forms import MergeForm, MoveForm, PinForm, SplitForm
from townsquare.forum.models import Post, PostKind, Topic
from townsquare.forum.views.common import error_text, post_or_404, topic_or_404


def _moderator_topic(request: HttpRequest, topic_id: int) -> Topic:
    topic = topic_or_404(request, topic_id)
    if not permissions.may_moderate(request.user):
        raise PermissionDenied
    return topic


@login_required
@require_POST
def moderate(request: HttpRequest, topic_id: int) -> HttpResponse:
    """The switches in a topic's moderator menu, and pinning."""
    topic = _moderator_topic(request, topic_id)
    what = request.POST.get("action", "")
    try:
        if what in actions.TOPIC_SWITCHES:
            action, value = actions.TOPIC_SWITCHES[what]
            action(request.user, topic, value)
        elif what == "pin":
            form = PinForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose where to pin the topic."))
            actions.pin_topic(
                request.user, topic, scope=form.cleaned_data["scope"],
                until=form.cleaned_data["until"],
            )  # fmt: skip
        elif what == "unpin":
            actions.unpin_topic(request.user, topic)
        else:
            raise ValidationError(_("Unknown moderator action."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Done."))
    return redirect(topic.get_absolute_url())


def _categories(request: HttpRequest):
    return permissions.visible_categories(request.user, community_for(request)).select_related(
        "parent"
    )


@login_required
def move(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _moderator_topic(request, topic_id)
    form = MoveForm(
        request.POST or None, categories=_categories(request),
        initial={"category": topic.category_id},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            actions.move_topic(request.user, topic, form.cleaned_data["category"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The topic is moved."))
            return redirect(topic.get_absolute_url())
    return render(
        request, "forum/moderate_form.html", {"form": form, "topic": topic, "mode": "move"}
    )


@login_required
def split(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _moderator_topic(request, topic_id)
    # The replies to choose from: a page at a time for very long topics.
    start = request.GET.get("from", "")
    start = max(int(start), 2) if start.isdigit() else 2
    replies = list(
        Post.objects.filter(topic=topic, number__gte=start, kind=PostKind.REGULAR)
        .select_related("author")
        .order_by("number")[:200]
    )
    form = SplitForm(
        request.POST or None, categories=_categories(request), replies=replies,
        initial={"category": topic.category_id},
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_topic = actions.split_topic(
                request.user, topic, data["posts"], title=data["title"],
                category=data["category"],
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The replies are moved to a new topic."))
            return redirect(new_topic.get_absolute_url())
    return render(
        request,
        "forum/moderate_form.html",
        {"form": form, "topic": topic, "mode": "split", "replies": replies},
    )


_TOPIC_ID_RE = re.compile(r"(?:/t/[^/]+/|/t/|^)(\d+)/?(?:[?#].*)?$")


@login_required
def merge(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _moderator_topic(request, topic_id)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        match = _TOPIC_ID_RE.search(form.cleaned_data["target"].strip())
        target = None
        if match:
            visible = permissions.reachable_topics(request.user, community_for(request))
            target = visible.filter(pk=int(match.group(1))).first()
        if target is None:
            form.add_error("target", _("No topic you can see has this address or number."))
        else:
            try:
                actions.merge_topics(request.user, topic, target)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("The topics are merged."))
                return redirect(target.get_absolute_url())
    return render(
        request, "forum/moderate_form.html", {"form": form, "topic": topic, "mode": "merge"}
    )


@login_required
@require_POST
def reveal(request: HttpRequest, post_id: int) -> HttpResponse:
    """Show a moderator who wrote an anonymous post; the look is recorded."""
    post = post_or_404(request, post_id)
    try:
        author = actions.reveal_anonymous_author(request.user, post)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(post.get_absolute_url())
    return render(request, "forum/reveal.html", {"post": post, "author": author})
