"""Replaying the past (importers, the demo's history): reactions with their own time,
events stamped by ``activity.as_of``, visits replayed in order."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.forum.conftest import start_topic
from townsquare.accounts import actions as account_actions
from townsquare.core import activity
from townsquare.core.models import ActivityEvent
from townsquare.forum import actions
from townsquare.forum.models import Reaction, Topic

pytestmark = pytest.mark.django_db
THEN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_import_reaction_keeps_its_time_and_the_counters(member, bob, general):
    topic = start_topic(member, general)
    post = topic.posts.get(number=1)
    assert actions.import_reaction(bob, post, "like", at=THEN) is True
    assert actions.import_reaction(bob, post, "like", at=THEN) is False  # once per kind
    assert actions.import_reaction(bob, post, "thanks", at=THEN + timedelta(hours=1)) is True
    post.refresh_from_db()
    assert post.reaction_counts == {"like": 1, "thanks": 1}
    assert Topic.objects.get(pk=topic.pk).reaction_count == 2
    assert set(Reaction.objects.values_list("created_at", flat=True)) == {
        THEN, THEN + timedelta(hours=1),
    }  # fmt: skip
    events = ActivityEvent.objects.filter(verb="post.reacted").order_by("created_at")
    assert [e.created_at for e in events] == [THEN, THEN + timedelta(hours=1)]
    assert events[0].actor == bob and events[0].data["category"] == general.pk


def test_import_reaction_refuses_own_posts_and_unknown_kinds(member, general):
    post = start_topic(member, general).posts.get(number=1)
    with pytest.raises(ValidationError):
        actions.import_reaction(member, post, "like", at=THEN)
    with pytest.raises(ValidationError):
        actions.import_reaction(member, post, "shrug", at=THEN)
    assert not Reaction.objects.exists()


def test_as_of_stamps_events_inside_the_block_only(member, bob, general):
    post = start_topic(member, general).posts.get(number=1)
    with activity.as_of(THEN):
        actions.add_reaction(bob, post, "like")
    actions.add_reaction(bob, post, "thanks")
    times = dict(
        ActivityEvent.objects.filter(verb="post.reacted").values_list("data__kind", "created_at")
    )
    assert times["like"] == THEN
    assert times["thanks"] > THEN + timedelta(days=300)


def test_visits_replayed_in_order(member):
    member.last_seen_at = None
    account_actions.touch_visit(member, at=THEN)
    account_actions.touch_visit(member, at=THEN + timedelta(minutes=10))  # the same visit
    account_actions.touch_visit(member, at=THEN + timedelta(days=2))
    visits = ActivityEvent.objects.filter(verb="member.visited", actor=member)
    assert sorted(visits.values_list("created_at", flat=True)) == [THEN, THEN + timedelta(days=2)]
    member.refresh_from_db()
    assert member.last_seen_at == THEN + timedelta(days=2)
    assert member.previous_visit_at == THEN + timedelta(minutes=10)
