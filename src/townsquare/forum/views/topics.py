"""A topic's page and what members do on it: reply, edit, react, accept, vote."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for
from townsquare.forum import actions, queries
from townsquare.forum.cooking import excerpt
from townsquare.forum.forms import EditForm, LevelForm, ReplyForm, TopicForm, split_tags
from townsquare.forum.html import PostControls
from townsquare.forum.models import (
    NotificationLevel,
    Post,
    PostKind,
    Topic,
)
from townsquare.forum.rendering import render_post
from townsquare.forum.tracking import count_topic_view
from townsquare.forum.views.common import error_text, poll_or_404, post_or_404, topic_or_404
from townsquare.moderation.screening import PostHeld, held_message


def _post_url(post: Post) -> str:
    return reverse("forum:post_link", args=[post.topic_id, post.number])


def _action_targets(request: HttpRequest, posts: list[Post]) -> dict[int, Topic]:
    """Topics named by moderator action posts, when the reader may see them."""
    ids = {post.action.get("topic") for post in posts if post.kind == PostKind.ACTION}
    ids.discard(None)
    if not ids:
        return {}
    visible = permissions.reachable_topics(request.user, community_for(request))
    return {topic.pk: topic for topic in visible.filter(pk__in=ids)}


def _decorate(request: HttpRequest, topic: Topic, posts: list[Post]) -> None:
    """What the reader may do with each post, asked of the policy once per post."""
    community, user = community_for(request), request.user
    targets = _action_targets(request, posts)
    for post in posts:
        post.topic = topic  # the page's topic, already loaded
        post.shows_content = permissions.may_view_post(user, community, post)
        post.may_edit = permissions.may_edit_post(user, community, post)
        post.may_delete = permissions.may_delete_post(user, community, post)
        post.may_recover = permissions.may_recover_post(user, community, post)
        post.may_react = permissions.may_react(user, community, post)
        post.may_see_revisions = post.edit_count and permissions.may_see_revisions(user, post)
        if post.kind == PostKind.ACTION:
            post.action_topic = targets.get(post.action.get("topic"))
        for poll in post.poll_list:
            poll.may_vote = permissions.may_vote(user, community, poll)
            poll.shows_results = bool(poll.my_choices) or poll.is_closed()
            poll.may_close = not poll.is_closed() and (
                permissions.is_staff(user) or post.author_id == user.pk
            )


def _controls(request: HttpRequest, topic: Topic, may_reply: bool) -> PostControls:
    community, user = community_for(request), request.user
    return PostControls.for_page(
        request,
        topic,
        may_reply=may_reply,
        may_accept=permissions.may_accept_answer(user, community, topic),
        may_reveal=permissions.may_reveal_anonymous(user),
        may_flag=permissions.may_flag(user),
    )


@area("forum")
def topic_redirect(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = topic_or_404(request, topic_id)
    return redirect(topic.get_absolute_url(), permanent=True)


@area("forum")
def topic_detail(request: HttpRequest, slug: str, topic_id: int) -> HttpResponse:
    topic = topic_or_404(request, topic_id)
    if topic.merged_into_id:
        target = Topic.objects.filter(pk=topic.merged_into_id).first()
        if target is not None:
            return redirect(target.get_absolute_url(), permanent=True)
    canonical = topic.get_absolute_url()
    if slug != topic.slug:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(canonical + query, permanent=True)
    community, user = community_for(request), request.user
    page = queries.topic_posts(topic, user, request.GET.get("page", 1))
    queries.attach_tag_names([topic])
    _decorate(request, topic, page.posts)
    reader_state = None
    if user.is_authenticated and page.posts:
        reader_state = actions.mark_read(user, topic, page.posts[-1].number)
    count_topic_view(request, topic)
    may_reply = permissions.may_reply(user, community, topic)
    opening = page.posts[0] if page.posts and page.posts[0].number == 1 else None
    description = excerpt(opening.text, 200) if opening and not opening.is_deleted else ""
    context = {
        "topic": topic,
        "page": page,
        "canonical": request.build_absolute_uri(
            canonical + (f"?page={page.number}" if page.number > 1 else "")
        ),
        "description": description,
        "may_reply": may_reply,
        "may_moderate": permissions.may_moderate(user),
        "controls": _controls(request, topic, may_reply),
        "closed_notice": topic.is_closed and not may_reply and user.is_authenticated,
        "reader_state": reader_state,
        "levels": [c for c in NotificationLevel.choices if c[0] != 4],
        "feed_url": reverse("forum:category_feed_rss", args=[topic.category.slug]),
    }
    return render(request, "forum/topic.html", context)


@area("forum")
def post_link(request: HttpRequest, topic_id: int, number: int) -> HttpResponse:
    """A post's permanent address: the page of its topic that shows it."""
    topic = topic_or_404(request, topic_id)
    page = queries.page_of_post(topic, number)
    suffix = f"?page={page}" if page > 1 else ""
    return redirect(f"{topic.get_absolute_url()}{suffix}#post-{number}")


@login_required
def new_topic(request: HttpRequest) -> HttpResponse:
    community, user = community_for(request), request.user
    categories = [
        c
        for c in permissions.visible_categories(user, community).select_related("parent")
        if permissions.may_start_topic(user, community, c)
    ]
    if not categories:
        raise PermissionDenied
    chosen = next((c for c in categories if c.slug == request.GET.get("category")), categories[0])
    category_ids = [c.pk for c in categories]
    queryset = permissions.visible_categories(user, community).filter(pk__in=category_ids)
    data = request.POST if request.method == "POST" else None
    category_for_form = chosen
    if data is not None:
        category_for_form = next(
            (c for c in categories if str(c.pk) == data.get("category")), chosen
        )
    form = TopicForm(
        data,
        request.FILES or None,
        categories=queryset,
        allow_anonymous=any(permissions.may_post_anonymously(user, c) for c in categories),
        initial={"category": chosen.pk, "anonymous": chosen.allows_anonymous},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        body = data["body"]
        try:
            body = actions.attach_uploads(user, body, data["attachments"])
            topic = actions.create_topic(
                user,
                data["category"],
                title=data["title"],
                body=body,
                tags=split_tags(data["tags"]),
                anonymous=data.get("anonymous", False),
                client_token=data["client_token"],
            )
        except PostHeld:
            messages.info(request, held_message())
            return redirect("moderation:waiting")
        except ValidationError as error:
            _show_errors_keeping_attachments(form, error, body)
        else:
            return redirect(topic.get_absolute_url())
    return render(
        request,
        "forum/composer.html",
        {"form": form, "mode": "topic", "category": category_for_form},
    )


def _show_errors_keeping_attachments(form, error: ValidationError, body: str) -> None:
    """Show the error; attachments already stored stay linked in the text shown again, so
    nothing has to be uploaded twice."""
    form.data = form.data.copy()
    form.data["body"] = body
    apply_errors(form, error)


@login_required
def reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = topic_or_404(request, topic_id)
    community, user = community_for(request), request.user
    if not permissions.may_reply(user, community, topic):
        if topic.is_closed:
            messages.error(request, _("This topic is closed; it takes no new replies."))
            return redirect(topic.get_absolute_url())
        raise PermissionDenied
    initial = {}
    reply_to = None
    if quote_id := request.GET.get("quote"):
        quoted = Post.objects.filter(pk=quote_id, topic=topic, deleted_at__isnull=True).first()
        if quoted is not None and quoted.kind == PostKind.REGULAR:
            initial = {"body": _quote(quoted) + "\n\n", "reply_to": quoted.number}
    elif number := request.GET.get("to"):
        initial = {"reply_to": number}
    form = ReplyForm(
        request.POST or None,
        request.FILES or None,
        allow_anonymous=permissions.may_post_anonymously(user, topic.category),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("reply_to"):
            reply_to = Post.objects.filter(topic=topic, number=data["reply_to"]).first()
        body = data["body"]
        try:
            body = actions.attach_uploads(user, body, data["attachments"])
            post = actions.create_post(
                user, topic, body=body, reply_to=reply_to,
                anonymous=data.get("anonymous", False), client_token=data["client_token"],
            )  # fmt: skip
        except PostHeld:
            messages.info(request, held_message())
            return redirect("moderation:waiting")
        except ValidationError as error:
            _show_errors_keeping_attachments(form, error, body)
        else:
            return redirect(_post_url(post))
    context = {"form": form, "mode": "reply", "topic": topic}
    if request.htmx and request.method == "GET":  # the topic page fetching its composer
        return render(request, "forum/_composer_reply.html", context)
    return render(request, "forum/composer.html", context)


def _quote(post: Post) -> str:
    if post.visible_author is not None:
        name = post.visible_author.handle
    else:
        name = _("Anonymous") if post.is_anonymous else _("a former member")
    body = post.body.strip()
    return f'[quote="{name}, post:{post.number}, topic:{post.topic_id}"]\n{body}\n[/quote]'


@login_required
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    community, user = community_for(request), request.user
    if not permissions.may_edit_post(user, community, post):
        raise PermissionDenied
    topic = post.topic
    initial = {"body": post.body}
    if post.is_first:
        initial |= {"title": topic.title, "tags": " ".join(t.name for t in topic.tags.all())}
    form = EditForm(request.POST or None, initial=initial, opening_post=post.is_first)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.edit_post(
                user,
                post,
                body=data["body"],
                title=data.get("title") if post.is_first else None,
                tags=split_tags(data["tags"]) if post.is_first else None,
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(_post_url(post))
    return render(request, "forum/edit.html", {"form": form, "post": post, "topic": topic})


def _back(request: HttpRequest, post: Post) -> HttpResponse:
    return redirect(_post_url(post))


@login_required
@require_POST
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    actions.delete_post(request.user, post)
    if post.is_first:
        messages.success(request, _("The topic is deleted."))
        if permissions.is_staff(request.user):
            return redirect(post.topic.get_absolute_url())
        return redirect(post.topic.category.get_absolute_url())
    messages.success(request, _("The post is deleted."))
    return _back(request, post)


@login_required
@require_POST
def recover(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    actions.recover_post(request.user, post)
    messages.success(request, _("The post is back."))
    return _back(request, post)


@login_required
@require_POST
def react(request: HttpRequest, post_id: int) -> HttpResponse:
    """Toggle one of the member's reactions on a post (htmx swaps the reaction bar)."""
    post = post_or_404(request, post_id)
    kind = request.POST.get("kind", "")
    try:
        mine = set(post.reactions.filter(user=request.user).values_list("kind", flat=True))
        if kind in mine:
            post = actions.remove_reaction(request.user, post, kind)
        else:
            post = actions.add_reaction(request.user, post, kind)
    except ValidationError as error:
        if request.htmx:
            return HttpResponse(error_text(error), status=422)
        messages.error(request, error_text(error))
        return _back(request, post)
    if request.htmx:
        queries.annotate_posts([post], request.user)
        _decorate(request, post.topic, [post])
        controls = _controls(request, post.topic, may_reply=False)
        return render(request, "forum/_reactions.html", {"post": post, "controls": controls})
    return _back(request, post)


@login_required
@require_POST
def bookmark(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    if post.bookmarks.filter(user=request.user).exists():
        actions.remove_bookmark(request.user, post)
        messages.success(request, _("Bookmark removed."))
    else:
        actions.add_bookmark(request.user, post)
        messages.success(request, _("Bookmarked. Find it under Bookmarks."))
    return _back(request, post)


@login_required
@require_POST
def accept(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    try:
        actions.accept_answer(request.user, post)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Marked as the accepted answer."))
    return _back(request, post)


@login_required
@require_POST
def unaccept(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = topic_or_404(request, topic_id)
    actions.unaccept_answer(request.user, topic)
    messages.success(request, _("The question is open again."))
    return redirect(topic.get_absolute_url())


@login_required
@require_POST
def poll_vote(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = poll_or_404(request, poll_id)
    try:
        if request.POST.get("retract"):
            actions.retract_vote(request.user, poll)
        else:
            actions.vote(request.user, poll, request.POST.getlist("options"))
    except (ValidationError, ValueError) as error:
        text = error_text(error) if isinstance(error, ValidationError) else _("Choose an option.")
        messages.error(request, text)
    return _back(request, poll.post)


@login_required
@require_POST
def poll_close(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = poll_or_404(request, poll_id)
    actions.close_poll(request.user, poll)
    return _back(request, poll.post)


@login_required
def revisions(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    if not permissions.may_see_revisions(request.user, post):
        raise Http404
    versions = list(post.revisions.select_related("editor"))
    for revision in versions:
        # The author of an anonymous post stays anonymous in its history too.
        hidden = post.is_anonymous and revision.editor_id == post.author_id
        revision.shown_editor = None if hidden else revision.editor
    return render(request, "forum/revisions.html", {"post": post, "revisions": versions})


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The composer's preview (htmx): the text as it will look, or what is wrong with it."""
    try:
        cooked = render_post(request.POST.get("body", "")[:100_000])
    except ValidationError as error:
        return render(request, "forum/_preview.html", {"error": error_text(error)})
    return render(request, "forum/_preview.html", {"html": cooked.html, "polls": cooked.polls})


@login_required
@require_POST
def reading(request: HttpRequest, topic_id: int) -> HttpResponse:
    """The topic page, while in view, says so every half minute (time read)."""
    topic = topic_or_404(request, topic_id)
    try:
        seconds = int(request.POST.get("seconds", ""))
    except ValueError:
        return HttpResponse(_("Say how many seconds."), status=400)
    actions.add_reading_time(request.user, topic, seconds)
    return HttpResponse(status=204)


@login_required
@require_POST
def topic_level(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = topic_or_404(request, topic_id)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            actions.set_topic_level(request.user, topic, form.cleaned_data["level"])
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Your notification level for this topic is saved."))
    return redirect(topic.get_absolute_url())
