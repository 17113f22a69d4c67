from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, JsonResponse
from django.utils.translation import ngettext
from ninja import Field, Query, Router, Schema

from townsquare.accounts.models import User
from townsquare.api.access import require_area
from townsquare.core.permissions import visible_category_ids
from townsquare.core.queries import community_for
from townsquare.forum.models import Category
from townsquare.search.limits import search_wait
from townsquare.search.queries import MAX_LIMIT, MAX_RESULTS, SearchHit, SearchResults, search

router = Router(tags=["search"])


class CategoryOut(Schema):
    id: int
    slug: str
    name: str


class SearchHitOut(Schema):
    post_id: int
    post_number: int
    topic_id: int
    topic_title: str
    topic_url: str
    post_url: str
    category: CategoryOut
    author: str | None = Field(description="The author's handle; null for anonymous posts.")
    is_anonymous: bool
    created_at: datetime
    snippet_html: str = Field(description="Escaped text with <mark> around matched words.")
    title_html: str = Field(description="The topic title, escaped, matched words marked.")


class SearchOut(Schema):
    results: list[SearchHitOut]
    total: int = Field(description="Exact up to the cap; see total_is_capped.")
    total_is_capped: bool = Field(description=f"More than {MAX_RESULTS} posts match.")


class ErrorOut(Schema):
    detail: str
    field: str | None


class SearchFilter(Schema):
    q: str = Field("", description="Words to find; every word must appear (max 200 chars).")
    category: str | None = Field(None, description="A category's slug; its subcategories too.")
    tag: str | None = Field(None, max_length=40)
    author: str | None = Field(None, max_length=60, description="A member's handle.")
    solved: bool | None = Field(None, description="Q&A topics with (or without) an answer.")
    after: date | None = Field(None, description="Posted on or after this day.")
    before: date | None = Field(None, description="Posted on or before this day.")
    order: Literal["relevance", "latest"] = "relevance"
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_RESULTS)


def hit_out(request: HttpRequest, hit: SearchHit) -> dict:
    return {
        "post_id": hit.post.pk,
        "post_number": hit.post.number,
        "topic_id": hit.topic.pk,
        "topic_title": hit.topic.title,
        "topic_url": request.build_absolute_uri(hit.topic_url),
        "post_url": request.build_absolute_uri(hit.url),
        "category": {
            "id": hit.category.pk,
            "slug": hit.category.slug,
            "name": hit.category.name,
        },
        "author": hit.author_handle,
        "is_anonymous": hit.is_anonymous,
        "created_at": hit.post.created_at,
        "snippet_html": str(hit.snippet_html),
        "title_html": str(hit.title_html),
    }


def _too_many(wait: int) -> JsonResponse:
    detail = ngettext(
        "Too many searches. Try again in %(seconds)d second.",
        "Too many searches. Try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}
    response = JsonResponse({"detail": detail, "field": None}, status=429)
    response["Retry-After"] = str(wait)
    return response


@router.get(
    "/search",
    response={200: SearchOut, 429: ErrorOut},
    summary="Search posts",
    description="Full-text search of the posts you may see. Every word must appear; exact "
    "phrases rank first, then relevance weighed by age. An unknown category or author gives "
    "no results (not an error). Visitors may search 30 times a minute, members 120.",
)
def search_posts(request: HttpRequest, filters: Query[SearchFilter]):
    require_area(request, "forum")
    community = community_for(request)
    category = author = None
    unknown = False
    if filters.category:
        category = Category.objects.filter(slug=filters.category).first()
        # A category one may not see answers exactly like one that does not exist.
        unknown = category is None or category.pk not in visible_category_ids(
            request.user, community
        )
    if filters.author:
        author = User.objects.filter(
            handle__iexact=filters.author.lstrip("@"), is_active=True
        ).first()
        unknown = unknown or author is None
    if wait := search_wait(request):
        return _too_many(wait)
    results = (
        SearchResults()
        if unknown
        else search(
            request.user,
            community,
            filters.q,
            category=category,
            tag=filters.tag,
            author=author,
            solved=filters.solved,
            after=filters.after,
            before=filters.before,
            order=filters.order,
            limit=filters.limit,
            offset=filters.offset,
        )
    )
    return {
        "results": [hit_out(request, hit) for hit in results.hits],
        "total": results.total,
        "total_is_capped": results.total_is_capped,
    }
