from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import index, sitemap
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from townsquare.accounts.models import User
from townsquare.core.areas import area
from townsquare.core.models import Community
from townsquare.core.permissions import visible_members
from townsquare.core.queries import community_for
from townsquare.forum.sitemaps import CategoriesSitemap, TopicsSitemap


class PagesSitemap(Sitemap):
    def __init__(self, community: Community) -> None:
        self.community = community

    def items(self) -> list[str]:
        names = ["guidelines"]
        if self.community.area_is_public("home"):
            names.insert(0, "home")
        if self.community.area_is_public("members"):
            names.append("member_list")
        return names

    def location(self, item: str) -> str:
        return reverse(item)


class MembersSitemap(Sitemap):
    limit = 5000

    def __init__(self, community: Community) -> None:
        self.community = community

    def items(self):
        # What an anonymous visitor may see: the sitemap is for search engines.
        return visible_members(AnonymousUser(), self.community).order_by("id").only("handle")

    def location(self, item: User) -> str:
        return reverse("member_detail", args=[item.handle])


def _sitemaps(request: HttpRequest) -> dict[str, Sitemap]:
    community = community_for(request)
    if not community.is_indexable:
        raise Http404
    return {
        "pages": PagesSitemap(community),
        "members": MembersSitemap(community),
        "categories": CategoriesSitemap(community),
        "topics": TopicsSitemap(community),
    }


@area("home")  # each section holds only what visitors may see
def sitemap_index(request: HttpRequest) -> HttpResponse:
    return index(request, _sitemaps(request), sitemap_url_name="sitemap_section")


@area("home")
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    return sitemap(request, _sitemaps(request), section=section)
