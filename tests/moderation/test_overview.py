"""The moderators' overview: queue size and age, flags by reason, actions per moderator
and the median time from flag to decision, aggregated in the database."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_member
from tests.forum.conftest import client_for, start_topic
from townsquare.forum import actions as forum_actions
from townsquare.moderation import audit
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.models import ReviewItem, ReviewKind, ReviewStatus
from townsquare.moderation.overview import median, overview

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def _age(item: ReviewItem, created_at) -> None:
    ReviewItem.objects.filter(pk=item.pk).update(created_at=created_at)


def _decide(item: ReviewItem, by, after: timedelta, now) -> None:
    """As a moderator's decision leaves it (test data: the decision itself is H1's)."""
    created = now - after - HOUR
    ReviewItem.objects.filter(pk=item.pk).update(
        status=ReviewStatus.DECIDED, decision="keep", decided_by=by, created_at=created,
        decided_at=created + after,
    )  # fmt: skip


@pytest.fixture
def flagged(guidelines, bob, general):
    """Five topics by Cara, each flagged by Bob."""
    cara = make_member("cara", guidelines)
    items = []
    for n, reason in enumerate(["spam", "spam", "off_topic", "inappropriate", "spam"]):
        topic = start_topic(cara, general, title=f"Buy cheap things number {n}")
        items.append(flag(bob, topic, reason=reason).item)
    return items


def test_the_figures(flagged, moderator, manager, bob, general):
    now = timezone.now()
    pending = flagged[:3]
    for item, hours in zip(pending, (1, 2, 10), strict=True):
        _age(item, now - hours * HOUR)
    ReviewItem.objects.create(kind=ReviewKind.QUEUED, author=bob, created_at=now - 5 * HOUR)
    _decide(flagged[3], moderator, 1 * HOUR, now)
    _decide(flagged[4], moderator, 3 * HOUR, now)
    old = flag(bob, start_topic(moderator, general, title="Long ago"), reason="other", note="Odd")
    _decide(old.item, moderator, 30 * HOUR, now - timedelta(days=40))
    old.__class__.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=41))
    audit.record(moderator, "member.warned", bob, reason="Spam")
    audit.record(moderator, "member.warned", bob, reason="Spam again")
    audit.record(manager, "member.warned", bob, reason="Rude")

    figures = overview(30, now=now)
    queue = {row.kind: row for row in figures.queue}
    assert (queue["flagged"].count, queue["queued"].count) == (3, 1)
    assert queue["flagged"].oldest_age == 10 * HOUR
    assert queue["flagged"].median_age == 2 * HOUR
    assert queue["queued"].median_age == 5 * HOUR
    assert {reason: n for reason, _label, n in figures.flags_by_reason} == {
        "spam": 3, "off_topic": 1, "inappropriate": 1, "guideline": 0, "other": 0,
    }  # fmt: skip
    # Bob's flags are in the audit log too, but he is no moderator.
    assert figures.actions_by_moderator == [("@mod", 2), ("@maja", 1)]
    assert (figures.decisions, figures.median_decision_time) == (2, 2 * HOUR)
    longer = overview(90, now=now)
    assert (longer.decisions, longer.median_decision_time) == (3, 3 * HOUR)
    assert dict((r, n) for r, _l, n in longer.flags_by_reason)["other"] == 1


def test_median_of_nothing_one_and_an_even_count(flagged):
    now = timezone.now()
    items = ReviewItem.objects.filter(pk__in=[i.pk for i in flagged[:4]])
    assert median(ReviewItem.objects.none(), "created_at") is None
    for item, hours in zip(flagged[:4], (1, 2, 4, 9), strict=True):
        _age(item, now - hours * HOUR)
    assert median(items, "created_at") == now - 3 * HOUR
    assert median(items.filter(pk=flagged[0].pk), "created_at") == now - HOUR


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get("/moderation/overview/", {"days": "7"}).status_code == 200
    return len(context)


def test_the_page_is_for_staff_with_a_fixed_number_of_queries(
    guidelines, moderator, member_client, bob, general
):
    assert member_client.get("/moderation/overview/").status_code == 403
    client = client_for(moderator)
    client.get("/moderation/overview/")
    few = _queries(client)
    cara = make_member("cara", guidelines)
    for n in range(25):
        flag(bob, start_topic(cara, general, title=f"Topic number {n}"), reason="spam")
    ReviewItem.objects.create(kind=ReviewKind.QUEUED, author=bob)
    forum_actions.pin_topic(moderator, start_topic(cara, general), scope="global")
    assert _queries(client) == few + 2  # the medians of the two kinds, now not empty
    page = client.get("/moderation/overview/", {"days": "90"}).content.decode()
    assert "The median time from the first flag" in page
    assert '<option value="90" selected>' in page
    # Any other period shows the default one.
    assert (
        '<option value="30" selected>'
        in client.get("/moderation/overview/", {"days": "1000"}).content.decode()
    )


def test_the_moderation_link_and_tabs_for_staff_only(moderator, member_client):
    page = client_for(moderator).get("/moderation/overview/").content.decode()
    assert 'href="/moderation/audit/"' in page and 'href="/moderation/overview/"' in page
    assert 'href="/moderation/overview/"' not in member_client.get("/").content.decode()
