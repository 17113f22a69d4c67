"""Searching the forum: what the search page and the API share (docs/search.md).

A post matches when it contains every term of the query, after the same analysis as at
indexing time. Only posts the searcher may see (core.permissions.visible_posts) are ever
counted, ranked, shown or quoted in a snippet.

Ranking (``order="relevance"``): posts containing the query's terms as an exact phrase come
first; within each group, by

    score = relevance / (1 + age_in_days / 180)

where relevance is the engine's (FTS5 bm25, PostgreSQL ts_rank_cd; title 4x body). Ties go
to the newer post. ``order="latest"``: newest first.

Candidates are capped: each query ranks the newest 1,000 visible matches, so a common word
costs about what a rare one does, and ``total`` is exact up to 1,000 (then
``total_is_capped``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.models import Community
from townsquare.core.permissions import AnyUser, visible_posts
from townsquare.forum.models import Category, CategoryKind, Post, Topic
from townsquare.search.analysis import query_terms, terms
from townsquare.search.backends import Candidate, Policy, get_backend
from townsquare.search.highlight import highlight, snippet

MAX_QUERY_LENGTH = 200
MAX_RESULTS = 1000  # candidates ranked, and the cap of ``total``
MAX_LIMIT = 50
RECENCY_DAYS = 180
ORDERS = ("relevance", "latest")

Order = Literal["relevance", "latest"]


@dataclass
class SearchHit:
    post: Post
    topic: Topic
    category: Category
    title_html: SafeString
    snippet_html: SafeString
    # None for anonymous posts (and deleted accounts): the real author is never given out.
    author_handle: str | None
    author_name: str | None
    is_anonymous: bool
    is_phrase: bool
    url: str
    topic_url: str


@dataclass
class SearchResults:
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    total_is_capped: bool = False
    terms: list[str] = field(default_factory=list)
    limit: int = 20
    offset: int = 0
    # False when nothing was searched (no query and no filter): the page shows a prompt.
    searched: bool = False

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < min(self.total, MAX_RESULTS)


@functools.cache
def _route_exists(name: str, urlconf: str | None) -> bool:
    try:
        reverse(name, urlconf=urlconf, args=[1, 1] if name == "forum:post_link" else ["t", 1])
    except NoReverseMatch:
        return False
    return True


def post_url(topic_id: int, number: int) -> str:
    if _route_exists("forum:post_link", get_urlconf()):
        return reverse("forum:post_link", args=[topic_id, number])
    return f"/p/{topic_id}/{number}/"  # until the forum's pages are merged


def topic_url(topic: Topic) -> str:
    if _route_exists("forum:topic", get_urlconf()):
        return reverse("forum:topic", args=[topic.slug, topic.pk])
    return f"/t/{topic.slug}/{topic.pk}/"


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _validate(query: str, order: str, limit: int, offset: int, after, before) -> None:
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            {
                "q": _("Search for at most %(max)d characters; this search has %(length)d.")
                % {"max": MAX_QUERY_LENGTH, "length": len(query)}
            }
        )
    if order not in ORDERS:
        raise ValidationError({"order": _("Order by relevance or latest.")})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            {"limit": _("Ask for 1 to %(max)d results at a time.") % {"max": MAX_LIMIT}}
        )
    if not 0 <= offset <= MAX_RESULTS:
        raise ValidationError(
            {"offset": _("Results are shown up to the %(max)dth.") % {"max": MAX_RESULTS}}
        )
    if after and before and after > before:
        raise ValidationError({"before": _("The end date is before the start date.")})


def filtered_posts(
    user: AnyUser,
    community: Community,
    *,
    category: Category | None = None,
    tag: str | None = None,
    author: User | None = None,
    solved: bool | None = None,
    after: date | None = None,
    before: date | None = None,
) -> QuerySet[Post]:
    """The posts the searcher may see (the one policy), narrowed by the filters."""
    posts = visible_posts(user, community)
    if category is not None:
        posts = posts.filter(
            Q(topic__category_id=category.pk) | Q(topic__category__parent_id=category.pk)
        )
    if tag:
        posts = posts.filter(topic__tags__name=tag.strip().lower())
    if author is not None:
        # Anonymous posts never match an author, whoever searches: search must not be a
        # way to find out who wrote them.
        posts = posts.filter(author_id=author.pk, is_anonymous=False)
    if solved is True:
        posts = posts.filter(topic__accepted_post__isnull=False)
    elif solved is False:
        posts = posts.filter(topic__category__kind=CategoryKind.QA, topic__accepted_post=None)
    if after:
        posts = posts.filter(created_at__gte=_start_of(after))
    if before:
        posts = posts.filter(created_at__lt=_start_of(before + timedelta(days=1)))
    return posts


def _score(candidate: Candidate, now: datetime) -> float:
    age_days = max((now - candidate.created_at).total_seconds(), 0) / 86400
    return candidate.relevance / (1 + age_days / RECENCY_DAYS)


def _rank(candidates: list[Candidate], order: str) -> list[tuple[int, bool]]:
    """(post id, is exact phrase) in result order."""
    if order == "latest":
        ordered = sorted(candidates, key=lambda c: (c.created_at, c.post_id), reverse=True)
        return [(c.post_id, c.is_phrase) for c in ordered]
    now = timezone.now()
    ordered = sorted(candidates, key=lambda c: (not c.is_phrase, -_score(c, now), -c.post_id))
    return [(c.post_id, c.is_phrase) for c in ordered]


def search(
    user: AnyUser,
    community: Community,
    query: str,
    *,
    category: Category | None = None,
    tag: str | None = None,
    author: User | None = None,
    solved: bool | None = None,
    after: date | None = None,
    before: date | None = None,
    order: Order = "relevance",
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search the posts this user may see. An empty query with filters lists the matching
    posts newest first; an empty query without filters, or one with no searchable word
    (only punctuation), finds nothing. Raises ValidationError (with the field) on bad
    input."""
    query = (query or "").strip()
    tag = (tag or "").strip() or None
    _validate(query, order, limit, offset, after, before)
    results = SearchResults(limit=limit, offset=offset)
    filters = {
        "category": category,
        "tag": tag,
        "author": author,
        "solved": solved,
        "after": after,
        "before": before,
    }
    wanted = query_terms(query)
    has_filters = any(value is not None for value in filters.values())
    if (query and not wanted) or (not query and not has_filters):
        results.searched = bool(query)
        return results
    results.searched, results.terms = True, wanted
    posts = filtered_posts(user, community, **filters)

    if wanted:
        backend = get_backend()
        all_query_terms = terms(query)
        phrase = all_query_terms if order == "relevance" and len(all_query_terms) > 1 else None
        # The policy, as SQL tied to the index row's post id (a constant column name).
        outer_id = RawSQL(backend.post_id_sql, ())  # noqa: S611
        linked = posts.filter(id=outer_id).order_by().values("id")
        try:
            sql, params = linked.query.sql_with_params()
        except EmptyResultSet:  # nothing is visible to this user
            return results
        candidates = backend.candidates(wanted, phrase, Policy(sql, tuple(params)), MAX_RESULTS + 1)
        results.total_is_capped = len(candidates) > MAX_RESULTS
        found = len(candidates)
        ranked = _rank(candidates[:MAX_RESULTS], order)
    else:
        newest = list(
            posts.order_by("-created_at", "-id").values_list("id", flat=True)[: MAX_RESULTS + 1]
        )
        results.total_is_capped = len(newest) > MAX_RESULTS
        found = len(newest)
        ranked = [(post_id, False) for post_id in newest[:MAX_RESULTS]]
    results.total = min(found, MAX_RESULTS)
    results.hits = _hits(user, community, ranked[offset : offset + limit], set(wanted))
    return results


def _hits(
    user: AnyUser, community: Community, page: list[tuple[int, bool]], wanted: set[str]
) -> list[SearchHit]:
    """The page's posts, read in one query, through the policy again (a post deleted or
    hidden since the candidates were found is left out)."""
    if not page:
        return []
    posts = visible_posts(user, community).filter(id__in=[post_id for post_id, _ in page])
    # Hits show the plain text; the source and its HTML can be long and are not read.
    posts = posts.select_related("topic__category", "author").defer("body", "body_html")
    by_id = {post.pk: post for post in posts}
    hits = []
    for post_id, is_phrase in page:
        post = by_id.get(post_id)
        if post is None:
            continue
        if post.is_anonymous:
            post.author = None  # never hand the real author to a template or serializer
        topic = post.topic
        hits.append(
            SearchHit(
                post=post,
                topic=topic,
                category=topic.category,
                title_html=highlight(topic.title, wanted),
                snippet_html=snippet(post.text, wanted),
                author_handle=post.author.handle if post.author else None,
                author_name=post.author.display_name if post.author else None,
                is_anonymous=post.is_anonymous,
                is_phrase=is_phrase,
                url=post_url(topic.pk, post.number),
                topic_url=topic_url(topic),
            )
        )
    return hits
