"""RSS and Atom feeds of public topics: latest, per category, per tag.

Feeds show only what a visitor may read (the policy asked as an anonymous user), whoever
fetches them: a feed reader is not signed in, and a feed URL gets shared. One Feed
instance serves every request, so nothing about a request is kept on it.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.queries import community_for
from townsquare.forum.models import Post, Tag, Topic

FEED_LENGTH = 30


def _public_topics(request: HttpRequest) -> QuerySet[Topic]:
    opening = Post.objects.filter(topic=OuterRef("pk"), number=1)
    return (
        permissions.visible_topics(AnonymousUser(), community_for(request))
        .select_related("category", "author")
        .annotate(opening_html=Subquery(opening.values("body_html")[:1]))
    )


class LatestTopicsFeed(Feed):
    def get_object(self, request: HttpRequest, *args, **kwargs) -> dict:
        return {"topics": _public_topics(request), "community": community_for(request)}

    def title(self, obj: dict) -> str:
        return _("%(community)s: latest topics") % {"community": obj["community"].name}

    def link(self, obj: dict) -> str:
        return reverse("forum:latest")

    def description(self, obj: dict) -> str:
        return obj["community"].tagline

    def items(self, obj: dict) -> QuerySet[Topic]:
        return obj["topics"].order_by("-created_at", "-id")[:FEED_LENGTH]

    def item_title(self, item: Topic) -> str:
        return item.title

    def item_description(self, item: Topic) -> str:
        return item.opening_html or ""

    def item_link(self, item: Topic) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Topic):
        return item.created_at

    def item_author_name(self, item: Topic) -> str:
        if item.host_name:
            return item.host_name
        author = item.visible_author
        if author is None:
            return _("Anonymous") if item.is_anonymous else _("a former member")
        return author.display_name

    def item_categories(self, item: Topic) -> list[str]:
        return [item.category.name]


class CategoryFeed(LatestTopicsFeed):
    def get_object(self, request: HttpRequest, slug: str, *args, **kwargs) -> dict:
        public = permissions.visible_categories(AnonymousUser(), community_for(request))
        category = get_object_or_404(public, slug=slug)
        family = [category.pk, *category.children.values_list("pk", flat=True)]
        topics = _public_topics(request).filter(category_id__in=family)
        return {"topics": topics, "community": community_for(request), "category": category}

    def title(self, obj: dict) -> str:
        return f"{obj['community'].name}: {obj['category'].name}"

    def link(self, obj: dict) -> str:
        return obj["category"].get_absolute_url()

    def description(self, obj: dict) -> str:
        return obj["category"].description


class TagFeed(LatestTopicsFeed):
    def get_object(self, request: HttpRequest, name: str, *args, **kwargs) -> dict:
        tag = get_object_or_404(Tag, name=name.lower())
        topics = _public_topics(request).filter(topictag__tag=tag)
        if not topics.exists():
            raise Http404
        return {"topics": topics, "community": community_for(request), "tag": tag}

    def title(self, obj: dict) -> str:
        return f"{obj['community'].name}: #{obj['tag'].name}"

    def link(self, obj: dict) -> str:
        return obj["tag"].get_absolute_url()


class _Atom:
    feed_type = Atom1Feed
    subtitle = LatestTopicsFeed.description


latest_rss = area("forum")(LatestTopicsFeed())
latest_atom = area("forum")(type("LatestAtom", (_Atom, LatestTopicsFeed), {})())
category_rss = area("forum")(CategoryFeed())
category_atom = area("forum")(type("CategoryAtom", (_Atom, CategoryFeed), {})())
tag_rss = area("forum")(TagFeed())
tag_atom = area("forum")(type("TagAtom", (_Atom, TagFeed), {})())
