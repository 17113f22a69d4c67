from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.core.areas import area
from townsquare.core.permissions import visible_members
from townsquare.core.queries import community_for


class NewMembersFeed(Feed):
    """New members, for those who welcome newcomers. Only what the reader may see."""

    feed_type = Atom1Feed
    title = _("New members")
    subtitle = _("Members who joined recently")

    def __call__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def link(self) -> str:
        return reverse("member_list")

    def items(self):
        members = visible_members(self.request.user, community_for(self.request))
        return members.select_related("profile").order_by("-date_joined")[:30]

    def item_title(self, item: User) -> str:
        return f"{item.display_name} (@{item.handle})"

    def item_description(self, item: User) -> str:
        return item.profile.bio

    def item_link(self, item: User) -> str:
        return reverse("member_detail", args=[item.handle])

    def item_pubdate(self, item: User):
        return item.date_joined


new_members_feed = area("members")(NewMembersFeed())
