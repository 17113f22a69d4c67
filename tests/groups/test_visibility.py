"""Which groups a user may know exist (core.permissions.visible_groups)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.core import permissions
from townsquare.groups import actions
from townsquare.groups.models import JoinPolicy


@pytest.mark.django_db
def test_a_secret_group_is_visible_only_to_its_members_and_managers(community, guidelines):
    insider = make_member("insider", guidelines)
    outsider = make_member("outsider", guidelines)
    manager = make_member("boss", guidelines, role=Role.MANAGER)
    moderator = make_member("mod", guidelines, role=Role.MODERATOR)
    board = actions.create_group(None, name="Advisory board", policy=JoinPolicy.SECRET)
    makers = actions.create_group(None, name="Makers", policy=JoinPolicy.OPEN)
    closed = actions.create_group(None, name="Chapter", policy=JoinPolicy.REQUEST)
    actions.add_member(None, board, insider)

    def seen(user) -> set[str]:
        return set(permissions.visible_groups(user, community).values_list("slug", flat=True))

    everyone = {makers.slug, closed.slug}
    assert seen(AnonymousUser()) == everyone
    assert seen(outsider) == everyone
    assert seen(moderator) == everyone
    assert seen(insider) == everyone | {board.slug}
    assert seen(manager) == everyone | {board.slug}
