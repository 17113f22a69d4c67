from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.core.areas import area
from townsquare.core.permissions import AnyUser, profile_field_visible, visible_members
from townsquare.core.queries import community_for


class NewMembersFeed(Feed):
    """New members, for those who welcome newcomers. Only what the reader may see.

    One Feed instance serves every request, so nothing about the reader is kept on it:
    the reader's visible members come through get_object, per request.
    """

    feed_type = Atom1Feed
    title = _("New members")
    subtitle = _("Members who joined recently")

    def get_object(self, request: HttpRequest, *args, **kwargs) -> tuple[AnyUser, QuerySet[User]]:
        return request.user, visible_members(request.user, community_for(request))

    def link(self) -> str:
        return reverse("member_list")

    def items(self, reader_and_members: tuple[AnyUser, QuerySet[User]]) -> list[User]:
        reader, members = reader_and_members
        items = list(members.select_related("profile").order_by("-date_joined")[:30])
        for item in items:  # each member decides who sees their bio
            item.feed_bio = item.profile.bio if profile_field_visible(reader, item, "bio") else ""
        return items

    def item_title(self, item: User) -> str:
        return f"{item.display_name} (@{item.handle})"

    def item_description(self, item: User) -> str:
        return item.feed_bio

    def item_link(self, item: User) -> str:
        return reverse("member_detail", args=[item.handle])

    def item_pubdate(self, item: User):
        return item.date_joined


new_members_feed = area("members")(NewMembersFeed())
