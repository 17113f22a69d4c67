"""Pieces of HTML every list and topic page repeats many times, built in Python: who
wrote something, a category's badge, a topic list's rows, and under each post its
reactions and the actions the reader may take.

A list shows thirty rows of about fifteen small pieces each (badges, links, counts, dates);
through the template engine that cost 0.45 ms a row, most of a list page's rendering
(docs/performance.md); built here it costs about half. forum/_topic_rows.html calls it.
"""

import functools
from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from townsquare.core.templatetags.townsquare import avatar
from townsquare.forum.links import url_for
from townsquare.forum.models import CategoryKind, Post, PostKind, ReactionKind, Topic
from townsquare.forum.models.posts import REACTION_EMOJI


def author_link(person, host_name: str = "", *, anonymous: bool = True) -> str:
    """Who wrote something, as others may see it: a named host, the member, Anonymous, or
    a former member (the author deleted their account: ``anonymous=False``).
    Callers pass ``visible_author``, never ``author``, for anything that may be anonymous."""
    if host_name:
        return format_html('<strong class="author">{}</strong>', host_name)
    if person is None and not anonymous:
        return format_html('<span class="author former">{}</span>', _("a former member"))
    if person is None:
        return format_html('<span class="author anonymous">{}</span>', _("Anonymous"))
    return format_html(
        '<a class="author" href="{}">{}</a>',
        url_for("member_detail", person.handle),
        person.display_name,
    )


def category_badge(category) -> str:
    parent = f"{category.parent.name} › " if category.parent_id else ""
    return format_html(
        '<a class="category-badge" href="{}" style="--category: {}">{}{}</a>',
        category.get_absolute_url(),
        category.color,
        parent,
        category.name,
    )


def _badge(text: str, css: str = "") -> SafeString:
    return format_html('<span class="badge{}">{}</span>', f" {css}" if css else "", text)


def _badges(topic: Topic, pinned: bool) -> SafeString:
    parts = []
    if pinned:
        parts.append(_badge(_("Pinned")))
    if topic.accepted_post_id is not None:
        parts.append(_badge(_("Solved"), "solved"))
    elif topic.category.kind == CategoryKind.QA:
        parts.append(_badge(_("Unsolved"), "open"))
    if topic.is_closed:
        parts.append(_badge(_("Closed")))
    if getattr(topic, "is_new_for_reader", False):
        parts.append(_badge(_("new"), "new"))
    elif unread := getattr(topic, "unread_count", 0):
        parts.append(
            format_html(
                '<a class="badge new" href="{}" title="{}">{}</a>',
                url_for("forum:post_link", topic.pk, topic.reader_state.last_read_number + 1),
                _("Jump to the first unread post"),
                ngettext("%(n)d unread", "%(n)d unread", unread) % {"n": unread},
            )
        )
    return mark_safe(" ".join(parts))  # noqa: S308  (each part is escaped by format_html)


def _count(number: int) -> str:
    return intcomma(number) if number >= 1000 else str(number)


def topic_rows(topics: list[Topic], *, pinned: bool = False) -> SafeString:
    """The rows of a topic list, as the reader may see them."""
    labels = (_("Replies"), _("Views"))  # the same on every row: translated once
    return mark_safe("".join(topic_row(t, pinned=pinned, labels=labels) for t in topics))  # noqa: S308


def topic_row(
    topic: Topic, *, pinned: bool = False, labels: tuple[str, str] | None = None
) -> SafeString:
    """One row of a topic list (a <tr>), as the reader may see it."""
    replies_label, views_label = labels or (_("Replies"), _("Views"))
    unread = getattr(topic, "unread_count", 0) or getattr(topic, "is_new_for_reader", False)
    tags = format_html_join(
        "",
        '<a class="tag" href="{}">#{}</a> ',
        ((url_for("forum:tag", name), name) for name in topic.tag_names),
    )
    last = timezone.localtime(topic.last_posted_at)
    return format_html(
        '<tr class="topic-row{}"><td><a class="topic-title" href="{}">{}</a> {}'
        '<div class="meta">{} {}· {}</div></td>'
        '<td class="num" title="{}">{}</td><td class="num" title="{}">{}</td>'
        '<td class="meta"><time datetime="{}" title="{}">{}</time><div>{}</div></td></tr>\n',
        " unread" if unread else "",
        topic.get_absolute_url(),
        topic.title,
        _badges(topic, pinned),
        category_badge(topic.category),
        tags,
        author_link(topic.visible_author, topic.host_name, anonymous=topic.is_anonymous),
        replies_label,
        _count(topic.reply_count),
        views_label,
        _count(topic.view_count),
        last.isoformat(),
        date_format(last, "DATETIME_FORMAT"),
        naturaltime(topic.last_posted_at),
        author_link(topic.visible_last_poster, anonymous=topic.last_post_anonymous),
    )


@dataclass(frozen=True)
class PostControls:
    """What a topic page lets its reader do, the same for every post on it."""

    request: HttpRequest
    topic: Topic
    viewer_id: int | None
    signed_in: bool
    may_reply: bool
    may_accept: bool
    may_reveal: bool
    may_flag: bool
    csrf_input: SafeString
    reply_url: str

    @classmethod
    def for_page(cls, request: HttpRequest, topic: Topic, **rights: bool) -> "PostControls":
        return cls(
            request=request,
            topic=topic,
            viewer_id=request.user.pk,
            signed_in=request.user.is_authenticated,
            csrf_input=format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            ),
            reply_url=url_for("forum:reply", topic.pk),
            **rights,
        )


@functools.lru_cache(maxsize=8)
def _reaction_kinds(language: str) -> tuple[tuple[str, str, str], ...]:
    """(kind, label escaped, emoji) in the reader's language: the same for every post."""
    return tuple(
        (kind, escape(str(label)), REACTION_EMOJI[kind]) for kind, label in ReactionKind.choices
    )


def _reaction(kind: str, label: str, emoji: str, count: int, mine: bool | None) -> str:
    """One reaction; a button when ``mine`` is not None (the reader may react)."""
    inner = (
        f'<span aria-hidden="true">{emoji}</span><span class="visually-hidden">{label}</span>'
        + (f" {count}" if count else "")
    )
    if mine is None:
        return f'<span class="reaction" title="{label}">{inner}</span>'
    return (
        f'<button type="submit" name="kind" value="{kind}" class="reaction'
        f'{" mine" if mine else ""}" aria-pressed="{"true" if mine else "false"}" '
        f'title="{label}">{inner}</button>'
    )


def reaction_bar(post: Post, controls: PostControls) -> SafeString:
    """The reactions a post has; a form to add or take back one's own where allowed.
    Built from constants and integers only (labels escaped once), so plain strings are
    safe here."""
    kinds = _reaction_kinds(get_language())
    counts = post.reaction_counts
    if not post.may_react:
        shown = "".join(
            _reaction(kind, label, emoji, counts[kind], None)
            for kind, label, emoji in kinds
            if counts.get(kind)
        )
        return mark_safe(f'<div class="reactions">{shown}</div>' if shown else "")  # noqa: S308
    mine = post.my_reactions
    used = "".join(
        _reaction(kind, label, emoji, counts[kind], kind in mine)
        for kind, label, emoji in kinds
        if counts.get(kind)
    )
    unused = "".join(
        _reaction(kind, label, emoji, 0, False)
        for kind, label, emoji in kinds
        if not counts.get(kind)
    )
    add = escape(_("Add a reaction"))
    url = url_for("forum:react", post.pk)
    return mark_safe(  # noqa: S308
        f'<form method="post" action="{url}" class="reactions" id="reactions-{post.pk}" '
        f'hx-post="{url}" hx-target="this" hx-swap="outerHTML">{controls.csrf_input}{used}'
        f'<details class="add-reaction"><summary title="{add}"><span aria-hidden="true">☺+'
        f'</span><span class="visually-hidden">{add}</span></summary>{unused}</details></form>'
    )


def _action(url: str, label: str, css: str = "link", title: str = "") -> str:
    return format_html(
        '<button formaction="{}" class="{}"{}>{}</button>',
        url, css, format_html(' title="{}"', title) if title else "", label,
    )  # fmt: skip


def post_actions(post: Post, controls: PostControls) -> SafeString:
    """Reply, quote, edit, bookmark, accept, delete, recover, reveal: what the reader may."""
    topic, parts = controls.topic, []
    live = not post.is_deleted
    if controls.may_reply and live:
        parts += [
            format_html('<a href="{}?to={}#composer">{}</a>', controls.reply_url, post.number,
                        _("Reply")),
            format_html('<a href="{}?quote={}#composer">{}</a>', controls.reply_url, post.pk,
                        _("Quote")),
        ]  # fmt: skip
    if post.may_edit:
        parts.append(format_html('<a href="{}">{}</a>', url_for("forum:edit", post.pk), _("Edit")))
    if controls.signed_in and live:
        label = _("Remove bookmark") if post.is_bookmarked else _("Bookmark")
        parts.append(_action(url_for("forum:bookmark", post.pk), label))
    if controls.may_accept and post.number > 1 and live:
        if topic.accepted_post_id == post.pk:
            parts.append(_action(url_for("forum:unaccept", topic.pk), _("Unmark as answer")))
        else:
            parts.append(_action(url_for("forum:accept", post.pk), _("Mark as the answer")))
    if post.may_delete:
        label = _("Delete topic") if post.number == 1 else _("Delete")
        parts.append(_action(url_for("forum:delete", post.pk), label, "link danger"))
    if post.may_recover:
        parts.append(_action(url_for("forum:recover", post.pk), _("Recover")))
    if controls.may_flag and live and not post.is_hidden and post.author_id != controls.viewer_id:
        parts.append(
            format_html(
                '<a href="{}">{}</a>', url_for("moderation:flag", "post", post.pk), _("Flag")
            )
        )
    if controls.may_reveal and post.is_anonymous:
        parts.append(
            _action(
                url_for("forum:reveal", post.pk),
                _("Reveal author"),
                "link",
                _("Your look is recorded in the audit log."),
            )
        )
    if not parts:
        return mark_safe("")
    return format_html(
        '<form method="post" class="post-actions">{}{}</form>',
        controls.csrf_input,
        mark_safe("\n".join(parts)),  # noqa: S308  (each part built by format_html)
    )


def _header(post: Post, controls: PostControls) -> SafeString:
    topic, parts = controls.topic, []
    if post.number == 1 and topic.host_name:
        parts.append(author_link(None, topic.host_name))
    else:
        person = post.visible_author
        if person is not None:
            parts.append(avatar(person))
        parts.append(author_link(person, anonymous=post.is_anonymous))
    if post.is_anonymous and post.author_id == controls.viewer_id:
        parts.append(format_html('<span class="meta">({})</span>', _("you")))
    reply_to = post.reply_to
    if reply_to is not None and reply_to.topic_id == post.topic_id and not reply_to.is_deleted:
        parts.append(
            format_html(
                '<a class="meta" href="#post-{}">↩ {}</a>',
                reply_to.number,
                author_link(reply_to.visible_author, anonymous=reply_to.is_anonymous),
            )
        )
    created = timezone.localtime(post.created_at)
    parts.append(
        format_html(
            '<a class="meta permalink" href="{}"><time datetime="{}" title="{}">{}</time></a>',
            url_for("forum:post_link", post.topic_id, post.number),
            created.isoformat(),
            date_format(created, "DATETIME_FORMAT"),
            naturaltime(post.created_at),
        )
    )
    if post.edit_count:
        edited = (
            format_html('<a href="{}">{}</a>', url_for("forum:revisions", post.pk), _("edited"))
            if post.may_see_revisions
            else _("edited")
        )
        parts.append(format_html('<span class="meta">· {}</span>', edited))
    if topic.accepted_post_id == post.pk:
        parts.append(format_html('<span class="badge solved">✓ {}</span>', _("Accepted answer")))
    return format_html_join("\n", "{}", ((part,) for part in parts))


def _action_line(post: Post) -> SafeString:
    count = post.action.get("count", 0)
    if post.action.get("code") == "split_to":
        what = ngettext(
            "moved %(n)d reply to a new topic", "moved %(n)d replies to a new topic", count
        )
    else:
        what = ngettext(
            "merged %(n)d post from another topic", "merged %(n)d posts from another topic", count
        )
    target = post.action_topic
    link = (
        format_html(': <a href="{}">{}</a>', target.get_absolute_url(), target.title)
        if target is not None
        else ""
    )
    return format_html(
        '<p class="meta">{} {}{} · <time datetime="{}">{}</time></p>',
        author_link(post.author, anonymous=False),
        what % {"n": count},
        link,
        post.created_at.isoformat(),
        naturaltime(post.created_at),
    )


def post_article(post: Post, controls: PostControls) -> SafeString:
    """A post on its topic's page, with what the reader may do with it."""
    topic = controls.topic
    classes = "post"
    if post.is_deleted:
        classes += " deleted"
    if topic.accepted_post_id == post.pk:
        classes += " accepted"
    if post.kind == PostKind.ACTION:
        return format_html(
            '<article class="{} action" id="post-{}">{}</article>\n',
            classes, post.number, _action_line(post),
        )  # fmt: skip
    if not post.shows_content:
        gone = (
            _("This post was hidden by the moderators.")
            if post.is_hidden and not post.is_deleted
            else _("This post was deleted.")
        )
        body = format_html('<p class="meta">{}</p>', gone)
    else:
        polls = "".join(
            render_to_string("forum/_poll.html", {"poll": poll, "post": post}, controls.request)
            for poll in post.poll_list
        )
        body = format_html(
            '{}{}<div class="prose">{}</div>{}{}{}',
            format_html('<p class="meta">{}</p>', _("Deleted — only moderators see this."))
            if post.is_deleted
            else "",
            format_html(
                '<p class="notice hidden-notice">{}</p>',
                _("Hidden by the moderators: %(reason)s") % {"reason": post.hidden_reason},
            )
            if post.is_hidden
            else "",
            mark_safe(post.body_html),  # noqa: S308  (sanitised when cooked, forum.cooking)
            mark_safe(polls),  # noqa: S308  (a rendered template)
            reaction_bar(post, controls),
            post_actions(post, controls),
        )
    return format_html(
        '<article class="{}" id="post-{}"><header class="post-header">{}</header>{}</article>\n',
        classes, post.number, _header(post, controls), body,
    )  # fmt: skip
