"""What the forum's views share: finding things through the policy, and form errors."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.forum.models import Category, Poll, Post, Tag, Topic


def topic_or_404(request: HttpRequest, topic_id: int) -> Topic:
    """A topic the user may open; anything else is "not found", whether or not it exists."""
    topics = permissions.reachable_topics(request.user, community_for(request))
    return get_object_or_404(
        topics.select_related("category", "category__parent", "author"), pk=topic_id
    )


def post_or_404(request: HttpRequest, post_id: int) -> Post:
    post = get_object_or_404(Post.objects.select_related("topic__category", "author"), pk=post_id)
    if not permissions.may_view_topic(request.user, community_for(request), post.topic):
        raise Http404
    return post


def poll_or_404(request: HttpRequest, poll_id: int) -> Poll:
    poll = get_object_or_404(Poll.objects.select_related("post__topic__category"), pk=poll_id)
    if not permissions.may_view_post(request.user, community_for(request), poll.post):
        raise Http404
    return poll


def category_or_404(request: HttpRequest, slug: str) -> Category:
    categories = permissions.visible_categories(request.user, community_for(request))
    return get_object_or_404(categories.select_related("parent"), slug=slug)


def tag_or_404(request: HttpRequest, name: str) -> Tag:
    """A tag on at least one topic the user may see."""
    tag = get_object_or_404(Tag, name=name.lower())
    visible = permissions.visible_topics(request.user, community_for(request))
    if not visible.filter(topictag__tag=tag).exists():
        raise Http404
    return tag


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)
