"""Each segment resolves to exactly the members it names (hand-built members), and the
counts a manager sees add up: unsubscribed and bouncing members are counted apart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Profile, Role, User
from townsquare.announcements import actions, segments
from townsquare.announcements.models import Segment
from townsquare.core.models import MailboxStatus
from townsquare.groups import actions as group_actions
from townsquare.notifications import actions as notification_actions

pytestmark = pytest.mark.django_db


def handles(announcement) -> set[str]:
    return set(segments.resolve(announcement).values_list("handle", flat=True))


def draft(**segment) -> object:
    return actions.create_announcement(None, subject="News", body="Hello", **segment)


@pytest.fixture
def people(guidelines, manager) -> dict[str, User]:
    now = timezone.now()
    people = {
        "ann": make_member("ann", guidelines),
        "ben": make_member("ben", guidelines, role=Role.MODERATOR),
        "cid": make_member("cid", guidelines),
        "dee": make_member("dee", guidelines, role=Role.ADMIN),
        "maja": manager,
    }
    # Joined long ago, seen long ago / recently, never seen.
    User.objects.filter(handle__in=["ann", "ben"]).update(date_joined=now - timedelta(days=90))
    User.objects.filter(handle="ann").update(last_seen_at=now - timedelta(days=60))
    User.objects.filter(handle="ben").update(last_seen_at=now - timedelta(days=2))
    User.objects.filter(handle__in=["cid", "dee", "maja"]).update(
        last_seen_at=now - timedelta(hours=1)
    )
    User.objects.filter(handle="dee").update(last_seen_at=None)
    # Not members: a deactivated account, one that never accepted the guidelines.
    gone = make_member("gone", guidelines)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    make_member("pending", None)
    Profile.objects.filter(user__handle="ann").update(custom_fields={"region": "North"})
    Profile.objects.filter(user__handle="cid").update(
        custom_fields={"region": "north ", "tier": "gold"}
    )
    Profile.objects.filter(user__handle="ben").update(custom_fields={"region": "South"})
    return people


def test_everyone_is_every_member_and_nobody_else(people):
    assert handles(draft()) == {"ann", "ben", "cid", "dee", "maja"}


def test_members_of_a_group(people):
    group = group_actions.create_group(None, name="Chapter Kraków")
    group_actions.add_member(None, group, people["ann"])
    group_actions.add_member(None, group, people["dee"])
    assert handles(draft(segment=Segment.GROUP, segment_group=group)) == {"ann", "dee"}


def test_a_role(people):
    assert handles(draft(segment=Segment.ROLE, segment_role=Role.MODERATOR)) == {"ben"}
    assert handles(draft(segment=Segment.ROLE, segment_role=Role.MEMBER)) == {"ann", "cid"}


def test_joined_within_n_days(people):
    assert handles(draft(segment=Segment.JOINED_WITHIN, segment_days=30)) == {
        "cid",
        "dee",
        "maja",
    }
    assert handles(draft(segment=Segment.JOINED_WITHIN, segment_days=100)) == {
        "ann", "ben", "cid", "dee", "maja",
    }  # fmt: skip


def test_inactive_for_n_days_includes_the_never_seen(people):
    assert handles(draft(segment=Segment.INACTIVE_FOR, segment_days=30)) == {"ann", "dee"}
    assert handles(draft(segment=Segment.INACTIVE_FOR, segment_days=1)) == {"ann", "ben", "dee"}


def test_a_custom_field_value_ignores_case_and_spaces_of_the_query(people):
    north = draft(segment=Segment.CUSTOM_FIELD, segment_field="region", segment_value=" NORTH")
    assert handles(north) == {"ann"}  # cid's value has a trailing space: not the same value
    gold = draft(segment=Segment.CUSTOM_FIELD, segment_field="tier", segment_value="Gold")
    assert handles(gold) == {"cid"}
    none = draft(segment=Segment.CUSTOM_FIELD, segment_field="nope", segment_value="x")
    assert handles(none) == set()
    assert segments.custom_field_names() == ["region", "tier"]


def test_a_segment_needs_what_it_names(people):
    from django.core.exceptions import ValidationError

    for values, field in [
        ({"segment": Segment.GROUP}, "segment_group"),
        ({"segment": Segment.ROLE, "segment_role": "king"}, "segment_role"),
        ({"segment": Segment.JOINED_WITHIN}, "segment_days"),
        ({"segment": Segment.INACTIVE_FOR, "segment_days": 0}, "segment_days"),
        ({"segment": Segment.CUSTOM_FIELD, "segment_value": "x"}, "segment_field"),
        ({"segment": Segment.CUSTOM_FIELD, "segment_field": "x"}, "segment_value"),
        ({"segment": "martians"}, "segment"),
    ]:
        with pytest.raises(ValidationError) as caught:
            draft(**values)
        assert field in caught.value.error_dict, values


def test_fields_a_segment_does_not_use_are_cleared(people):
    announcement = draft(segment=Segment.ROLE, segment_role=Role.ADMIN, segment_days=5)
    assert announcement.segment_days is None
    changed = actions.update_announcement(None, announcement, segment=Segment.EVERYONE)
    assert changed.segment_role == ""


def test_reach_counts_unsubscribed_and_bouncing_apart(people):
    notification_actions.unsubscribe(people["ann"], "announcements")
    MailboxStatus.objects.create(email="BEN@example.com".lower(), bouncing_since=timezone.now())
    # Unsubscribed and bouncing: counted once, as unsubscribed.
    notification_actions.unsubscribe(people["ben"], "announcements")
    MailboxStatus.objects.create(email="cid@example.com", failures=1)  # not bouncing yet
    User.objects.filter(pk=people["dee"].pk).update(email="Dee@Example.com")
    MailboxStatus.objects.create(email="dee@example.com", bouncing_since=timezone.now())
    account_actions.set_language(people["maja"], "pl")
    found = segments.reach(draft())
    assert (found.matching, found.unsubscribed, found.bouncing, found.reachable) == (5, 2, 1, 2)
