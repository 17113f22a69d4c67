"""The demo's groups: one of each kind with members and discussions, loaded once."""

import pytest
from django.core.management import call_command

from townsquare.core.queries import get_community
from townsquare.forum.models import Topic
from townsquare.groups.models import Group, GroupKind, GroupMembership, Invitation, JoinRequest


@pytest.mark.django_db
def test_demo_groups_of_every_kind_load_once(capsys):
    call_command("demo")
    assert "Groups: 7 groups" in capsys.readouterr().out
    assert set(Group.objects.values_list("kind", flat=True)) == set(GroupKind.values)
    for group in Group.objects.all():
        assert group.memberships.count() >= 2
        assert Topic.objects.filter(category=group.category).exists()
    assert JoinRequest.objects.exists() and Invitation.objects.exists()
    assert get_community().newcomers_group.kind == GroupKind.NEWCOMERS
    counts = (Group.objects.count(), GroupMembership.objects.count(), Topic.objects.count())
    call_command("demo")
    assert (Group.objects.count(), GroupMembership.objects.count(), Topic.objects.count()) == counts
