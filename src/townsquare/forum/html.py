"""Pieces of HTML every list and topic page repeats many times, built in Python: who
wrote something, a category's badge, a topic list's rows, and under each post its
reactions and the actions the reader may take.

A list shows thirty rows of about fifteen small pieces each (badges, links, counts, dates);
through the template engine that cost 0.45 ms a row, most of a list page's rendering
(docs/performance.md); built here it costs about half. forum/_topic_rows.html calls it.
"""

from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.forum.links import url_for
from townsquare.forum.models import CategoryKind, Post, Topic


def author_link(person, host_name: str = "") -> str:
    """Who wrote something, as others may see it: a named host, the member, or Anonymous.
    Callers pass ``visible_author``, never ``author``, for anything that may be anonymous."""
    if host_name:
        return format_html('<strong class="author">{}</strong>', host_name)
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
        author_link(topic.visible_author, topic.host_name),
        replies_label,
        _count(topic.reply_count),
        views_label,
        _count(topic.view_count),
        last.isoformat(),
        date_format(last, "DATETIME_FORMAT"),
        naturaltime(topic.last_posted_at),
        author_link(topic.visible_last_poster),
    )


@dataclass(frozen=True)
class PostControls:
    """What a topic page lets its reader do, the same for every post on it."""

    topic: Topic
    signed_in: bool
    may_reply: bool
    may_accept: bool
    may_reveal: bool
    csrf_input: SafeString
    reply_url: str

    @classmethod
    def for_page(cls, request: HttpRequest, topic: Topic, **rights: bool) -> "PostControls":
        return cls(
            topic=topic,
            signed_in=request.user.is_authenticated,
            csrf_input=format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            ),
            reply_url=url_for("forum:reply", topic.pk),
            **rights,
        )


def _reaction(post: Post, kind: str, label: str, emoji: str, count: int, button: bool) -> str:
    count_text = f" {count}" if count else ""
    if not button:
        return format_html(
            '<span class="reaction" title="{}"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">{}</span>{}</span>',
            label, emoji, label, count_text,
        )  # fmt: skip
    mine = kind in post.my_reactions
    return format_html(
        '<button type="submit" name="kind" value="{}" class="reaction{}" aria-pressed="{}" '
        'title="{}"><span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>'
        "{}</button>",
        kind, " mine" if mine else "", "true" if mine else "false", label, emoji, label,
        count_text,
    )  # fmt: skip


def reaction_bar(post: Post, controls: PostControls) -> SafeString:
    """The reactions a post has; a form to add or take back one's own where allowed."""
    used = [r for r in post.reaction_bar if r[3]]
    if not post.may_react:
        if not used:
            return mark_safe("")
        shown = "".join(_reaction(post, *r, button=False) for r in used)
        return format_html('<div class="reactions">{}</div>', mark_safe(shown))  # noqa: S308
    unused = [r for r in post.reaction_bar if not r[3]]
    add = _("Add a reaction")
    url = url_for("forum:react", post.pk)
    return format_html(
        '<form method="post" action="{}" class="reactions" id="reactions-{}" hx-post="{}" '
        'hx-target="this" hx-swap="outerHTML">{}{}<details class="add-reaction">'
        '<summary title="{}"><span aria-hidden="true">☺+</span>'
        '<span class="visually-hidden">{}</span></summary>{}</details></form>',
        url, post.pk, url, controls.csrf_input,
        mark_safe("".join(_reaction(post, *r, button=True) for r in used)),  # noqa: S308
        add, add,
        mark_safe("".join(_reaction(post, *r, button=True) for r in unused)),  # noqa: S308
    )  # fmt: skip


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
