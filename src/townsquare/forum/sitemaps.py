"""Public forum content for search engines: what a visitor may read, nothing more."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.models import Category, Topic


class CategoriesSitemap(Sitemap):
    def __init__(self, community: Community) -> None:
        self.community = community

    def items(self) -> QuerySet[Category]:
        return permissions.visible_categories(AnonymousUser(), self.community).order_by("pk")


class TopicsSitemap(Sitemap):
    limit = 5000

    def __init__(self, community: Community) -> None:
        self.community = community

    def items(self) -> QuerySet[Topic]:
        return (
            permissions.visible_topics(AnonymousUser(), self.community)
            .order_by("pk")
            .only("pk", "slug", "last_posted_at")
        )

    def lastmod(self, item: Topic):
        return item.last_posted_at
