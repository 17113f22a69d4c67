from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from townsquare.accounts.models import User
from townsquare.core.areas import area
from townsquare.core.models import Community
from townsquare.core.permissions import visible_members
from townsquare.core.queries import community_for


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


@area("home")
def sitemap_view(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    if not community.is_indexable:
        raise Http404
    sitemaps = {"pages": PagesSitemap(community), "members": MembersSitemap(community)}
    return sitemap(request, sitemaps)
