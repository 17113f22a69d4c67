"""Reads shared by the forum's pages, the API and feeds: topic lists, the category list and
a topic's posts, each in a fixed number of queries however long it is.

Topic lists are paginated by keyset (a cursor holding the last row's sort key), so the
hundredth page costs what the first does.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.core.permissions import AnyUser
from townsquare.forum.models import (
    Bookmark,
    Category,
    CategoryKind,
    CategoryNotificationSetting,
    NotificationLevel,
    PinScope,
    Poll,
    PollVote,
    Post,
    Reaction,
    Tag,
    Topic,
    TopicReadState,
    TopicTag,
)

ORDERS = {
    # name: (sort fields, newest/biggest first)
    "latest": ("last_posted_at", "id"),
    "new": ("created_at", "id"),
    "top": ("score", "id"),
}
PERIODS = {
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
    "all": None,
}
FILTERS = {"unanswered", "unsolved", "solved", "new", "unread"}


@dataclass
class TopicList:
    topics: list[Topic]
    pinned: list[Topic] = field(default_factory=list)
    next_cursor: str | None = None


def _encode_cursor(topic: Topic, order: str) -> str:
    key_field = ORDERS[order][0]
    value = getattr(topic, key_field)
    payload = [value.isoformat() if isinstance(value, datetime) else value, topic.pk]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, order: str) -> tuple[object, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if ORDERS[order][0] == "score":
            value = float(value)
        else:
            value = parse_datetime(value)
            if value is None:
                raise ValueError
        return value, int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError(
            {"cursor": _("This page link is not valid; start from the first page.")}
        ) from None


def category_family_ids(category: Category) -> list[int]:
    """A category and its subcategories (one level)."""
    return [category.pk, *category.children.values_list("pk", flat=True)]


def annotate_reader(topics: list[Topic], user: AnyUser) -> None:
    """Attach each topic's read state for this member (or None): one query."""
    states = {}
    if user.is_authenticated and topics:
        states = {
            state.topic_id: state
            for state in TopicReadState.objects.filter(
                user=user, topic_id__in=[t.pk for t in topics]
            )
        }
    for topic in topics:
        topic.reader_state = states.get(topic.pk)
        state = topic.reader_state
        topic.unread_count = (
            max(topic.highest_post_number - state.last_read_number, 0)
            if state is not None and state.notification_level >= NotificationLevel.TRACKING
            else 0
        )
        topic.is_new_for_reader = (
            user.is_authenticated and state is None and _new_since(user) < topic.created_at
        )


def _new_since(user: User) -> datetime:
    """Topics created after this are "new" to a member: since their last visit, and at
    most two weeks back."""
    floor = timezone.now() - timedelta(days=14)
    return max(user.previous_visit_at or user.date_joined, floor)


# What a topic row shows of its category and people; the rest stays unloaded.
_LIST_RELATED = (
    "category__name", "category__slug", "category__color", "category__kind",
    "category__parent_id", "category__parent__name", "category__parent__slug",
    "author__handle", "author__display_name",
    "last_poster__handle", "last_poster__display_name",
)  # fmt: skip
_TOPIC_FIELDS = tuple(field.name for field in Topic._meta.concrete_fields)


def load_topics(topics: QuerySet[Topic]) -> list[Topic]:
    """Topics as lists show them: category and people in one query, tag names in another
    (``topic.tag_names``). Half the cost of Django's prefetch for a page of thirty."""
    rows = list(
        topics.select_related("category", "category__parent", "author", "last_poster").only(
            *_TOPIC_FIELDS, *_LIST_RELATED
        )
    )
    attach_tag_names(rows)
    return rows


def attach_tag_names(topics: list[Topic]) -> None:
    names: dict[int, list[str]] = {}
    if topics:
        pairs = TopicTag.objects.filter(topic_id__in=[t.pk for t in topics]).order_by("tag__name")
        for topic_id, name in pairs.values_list("topic_id", "tag__name"):
            names.setdefault(topic_id, []).append(name)
    for topic in topics:
        topic.tag_names = names.get(topic.pk, [])


def topic_list(
    user: AnyUser,
    community: Community,
    *,
    order: str = "latest",
    period: str = "all",
    category: Category | None = None,
    tag: Tag | None = None,
    status: str | None = None,
    solved: bool | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> TopicList:
    """Topics the user may see, newest activity first (or by ``order``), one page.

    ``solved`` narrows any list to solved questions (True) or to questions still waiting
    for an accepted answer (False), exactly like the "solved" and "unsolved" filters."""
    if order not in ORDERS:
        raise ValidationError({"order": _("Order by latest, new or top.")})
    if period not in PERIODS:
        raise ValidationError({"period": _("Choose day, week, month, year or all.")})
    if status is not None and status not in FILTERS:
        raise ValidationError({"status": _("Unknown topic filter.")})
    limit = limit or settings.FORUM_TOPICS_PER_PAGE
    now = timezone.now()
    topics = permissions.visible_topics(user, community)
    if category is not None:
        topics = topics.filter(category_id__in=category_family_ids(category))
    if tag is not None:
        topics = topics.filter(topictag__tag=tag)
    if PERIODS[period] is not None:
        topics = topics.filter(created_at__gte=now - PERIODS[period])
    topics = _apply_status(topics, user, status)
    if solved is not None:
        topics = _apply_status(topics, user, "solved" if solved else "unsolved")
    filtered = status is not None or solved is not None
    if user.is_authenticated and category is None and tag is None and not filtered:
        topics = _without_muted(topics, user)
    pinned: list[Topic] = []
    if cursor is None and order == "latest" and not filtered and tag is None:
        pinned = _pinned(topics, category, now)
        topics = topics.exclude(pk__in=[t.pk for t in pinned])
    key, tiebreak = ORDERS[order]
    if cursor:
        value, pk = _decode_cursor(cursor, order)
        topics = topics.filter(Q(**{f"{key}__lt": value}) | Q(**{key: value, "id__lt": pk}))
    ordering = (f"-{key}", f"-{tiebreak}")
    # The page's ids are chosen first (a subquery touching topics alone), then only those
    # rows are joined to their categories and people. Joining before sorting made SQLite
    # build the joined row of every topic in the visible categories and sort them all:
    # 170-300 ms of SQL for /latest/ at 50,000 topics, against 3 ms this way.
    page_ids = topics.order_by(*ordering).values("pk")[: limit + 1]
    page = load_topics(Topic.objects.filter(pk__in=page_ids).order_by(*ordering))
    more = len(page) > limit
    page = page[:limit]
    annotate_reader(pinned + page, user)
    return TopicList(
        topics=page,
        pinned=pinned,
        next_cursor=_encode_cursor(page[-1], order) if more else None,
    )


def _apply_status(topics: QuerySet[Topic], user: AnyUser, status: str | None) -> QuerySet:
    if status == "unanswered":
        return topics.filter(reply_count=0)
    if status == "unsolved":
        return topics.filter(category__kind=CategoryKind.QA, accepted_post__isnull=True)
    if status == "solved":
        return topics.filter(accepted_post__isnull=False)
    if status in {"new", "unread"} and not user.is_authenticated:
        return topics.none()
    if status == "new":
        read = TopicReadState.objects.filter(user=user, topic=OuterRef("pk"))
        return topics.filter(created_at__gt=_new_since(user)).exclude(
            pk__in=Subquery(read.values("topic_id"))
        )
    if status == "unread":
        # One join, driven by the member's read states.
        return topics.filter(
            read_states__user=user,
            read_states__notification_level__gte=NotificationLevel.TRACKING,
            read_states__last_read_number__lt=F("highest_post_number"),
        )
    return topics


def _muted_categories(user: User) -> QuerySet[CategoryNotificationSetting]:
    return CategoryNotificationSetting.objects.filter(
        user=user, level=NotificationLevel.MUTED
    ).values("category_id")


def _without_muted(topics: QuerySet[Topic], user: User) -> QuerySet[Topic]:
    muted_topics = TopicReadState.objects.filter(
        user=user, notification_level=NotificationLevel.MUTED
    ).values("topic_id")
    return topics.exclude(category_id__in=_muted_categories(user)).exclude(pk__in=muted_topics)


def _pinned(topics: QuerySet[Topic], category: Category | None, now: datetime) -> list[Topic]:
    live = Q(pinned_until__isnull=True) | Q(pinned_until__gt=now)
    scope = Q(pin_scope=PinScope.GLOBAL)
    if category is not None:
        scope |= Q(pin_scope=PinScope.CATEGORY)
    pinned = topics.filter(scope, live).exclude(pin_scope="")
    return load_topics(pinned.order_by("-pin_scope", "-last_posted_at")[:10])


def reader_counts(user: AnyUser, community: Community) -> dict[str, int]:
    """How many topics are new and unread for a member (the tabs' badges)."""
    if not user.is_authenticated:
        return {"new": 0, "unread": 0}
    # Muted topics need no leaving out here: a topic is muted by its read state, "new"
    # counts topics without one and "unread" those whose read state tracks them. Leaving
    # them out again cost a second pass over the member's read states in both counts.
    topics = permissions.visible_topics(user, community).exclude(
        category_id__in=_muted_categories(user)
    )
    return {
        "new": _apply_status(topics, user, "new").count(),
        "unread": _apply_status(topics, user, "unread").count(),
    }


def category_list(user: AnyUser, community: Community) -> list[Category]:
    """Top-level categories the user may see, each with its visible subcategories
    (``.subcategories``) and its latest listed topic (``.latest_topic``)."""
    latest = (
        permissions.visible_topics(user, community)
        .filter(category=OuterRef("pk"))
        .order_by("-last_posted_at", "-id")
        .values("pk")[:1]
    )
    categories = list(
        permissions.visible_categories(user, community)
        .annotate(latest_topic_id=Subquery(latest))
        .order_by("position", "name")
    )
    topics = {
        t.pk: t
        for t in Topic.objects.filter(
            pk__in=[c.latest_topic_id for c in categories if c.latest_topic_id]
        ).select_related("last_poster")
    }
    by_parent: dict[int, list[Category]] = {}
    for category in categories:
        category.latest_topic = topics.get(category.latest_topic_id)
        if category.parent_id:
            by_parent.setdefault(category.parent_id, []).append(category)
    top = [c for c in categories if c.parent_id is None]
    for category in top:
        category.subcategories = by_parent.get(category.pk, [])
    return top


# --- A topic's posts ------------------------------------------------------------------------


@dataclass
class PostPage:
    posts: list[Post]
    number: int
    count: int
    total_posts: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_of_post(topic: Topic, post_number: int) -> int:
    """Which page of the topic shows the post with this number."""
    before = Post.objects.filter(topic=topic, number__lt=post_number).count()
    return before // settings.FORUM_POSTS_PER_PAGE + 1


def topic_posts(topic: Topic, user: AnyUser, page: int | str = 1) -> PostPage:
    """One page of a topic's posts, with what the page shows about each, in a fixed number
    of queries. Pages near the end are read backwards, so the last page of a topic with
    10,000 replies costs what the first does."""
    per_page = settings.FORUM_POSTS_PER_PAGE
    total = Post.objects.filter(topic=topic).count()
    pages = max(1, -(-total // per_page))
    if page == "last":
        number = pages
    else:
        try:
            number = min(max(int(page), 1), pages)
        except (TypeError, ValueError):
            number = 1
    offset = (number - 1) * per_page
    # The page's first (or, read backwards, last) post number is found by skipping entries
    # of the (topic, number) index alone, in a subquery; the posts are then read from there
    # with their authors. OFFSET on the full query builds every skipped row with its joins
    # first: for the middle page of a topic with 10,000 replies that took 36 ms of SQL on
    # PostgreSQL and 19 ms on SQLite, against 2-7 ms this way.
    # With nothing to skip (a first or last page) there is no subquery.
    numbers = Post.objects.filter(topic=topic).values("number")
    base = with_post_relations(Post.objects.filter(topic=topic), user)
    if number <= pages // 2 + 1:
        posts = base.order_by("number")
        if offset:
            first = Subquery(numbers.order_by("number")[offset : offset + 1])
            posts = posts.filter(number__gte=first)
        posts = list(posts[:per_page])
    else:
        tail = total - offset
        from_end = max(tail - per_page, 0)
        posts = base.order_by("-number")
        if from_end:
            last = Subquery(numbers.order_by("-number")[from_end : from_end + 1])
            posts = posts.filter(number__lte=last)
        posts = list(posts[: tail - from_end])[::-1]
    annotate_posts(posts, user)
    return PostPage(posts=posts, number=number, count=pages, total_posts=total)


# What a post on a topic page shows of the people around it; the rest stays unloaded.
_POST_RELATED = (
    "author__handle", "author__display_name", "author__profile__avatar",
    "reply_to__number", "reply_to__topic_id", "reply_to__deleted_at",
    "reply_to__is_anonymous", "reply_to__author__handle", "reply_to__author__display_name",
)  # fmt: skip
_POST_FIELDS = tuple(
    field.name for field in Post._meta.concrete_fields if field.name != "client_token"
)


def with_post_relations(posts: QuerySet[Post], user: AnyUser) -> QuerySet[Post]:
    return posts.select_related("author", "author__profile", "reply_to", "reply_to__author").only(
        *_POST_FIELDS, *_POST_RELATED
    )


def annotate_posts(posts: list[Post], user: AnyUser) -> None:
    """Attach polls (with the member's ballot), the member's reactions and bookmarks."""
    ids = [post.pk for post in posts]
    # Polls are written in the text ([poll]…[/poll]), reactions are counted on the post: a
    # page whose posts have none asks nothing about them.
    poll_ids = [post.pk for post in posts if "[poll" in post.body]
    polls = list(
        Poll.objects.filter(post_id__in=poll_ids).prefetch_related("options").order_by("pk")
        if poll_ids
        else []
    )
    reacted_ids = [post.pk for post in posts if post.reaction_counts]
    mine_reactions: dict[int, set[str]] = {}
    bookmarked: set[int] = set()
    ballots: dict[int, set[int]] = {}
    if user.is_authenticated and ids:
        if reacted_ids:
            mine = Reaction.objects.filter(user=user, post_id__in=reacted_ids)
            for post_id, kind in mine.values_list("post_id", "kind"):
                mine_reactions.setdefault(post_id, set()).add(kind)
        bookmarked = set(
            Bookmark.objects.filter(user=user, post_id__in=ids).values_list("post_id", flat=True)
        )
        if polls:
            for poll_id, option_id in PollVote.objects.filter(
                user=user, poll__in=polls
            ).values_list("poll_id", "option_id"):
                ballots.setdefault(poll_id, set()).add(option_id)
    by_post: dict[int, list[Poll]] = {}
    for poll in polls:
        poll.my_choices = ballots.get(poll.pk, set())
        by_post.setdefault(poll.post_id, []).append(poll)
    for post in posts:
        post.poll_list = by_post.get(post.pk, [])
        post.my_reactions = mine_reactions.get(post.pk, set())
        post.is_bookmarked = post.pk in bookmarked


def bookmarks(user: User, community: Community) -> QuerySet[Bookmark]:
    """A member's bookmarks on posts they may still see."""
    visible = permissions.visible_posts(user, community)
    return (
        Bookmark.objects.filter(user=user, post__in=visible)
        .select_related("post__topic__category", "post__author")
        .order_by("-created_at")
    )


def visible_tags(user: AnyUser, community: Community) -> QuerySet[Tag]:
    """Tags on at least one topic the user may see: a tag used only in a private category
    stays unknown to those who cannot read it."""
    topics = permissions.visible_topics(user, community)
    return Tag.objects.filter(topictag__topic__in=topics).distinct().order_by("name")
