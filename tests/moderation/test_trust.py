"""Trust levels: members' stats from what the platform records, automatic promotion, staff
setting a level by hand, the limits of each level, the staff page and the profile."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.core import activity
from townsquare.forum import actions as forum
from townsquare.forum.models import TopicReadState
from townsquare.moderation import tasks
from townsquare.moderation.actions.trust import (
    promote_members,
    set_trust_level,
    update_trust_settings,
)
from townsquare.moderation.models import AuditEntry, ModerationSettings, Sanction, SanctionKind
from townsquare.moderation.trust import Limits, limits_for, member_stats

pytestmark = pytest.mark.django_db

CHANGED = "member.trust_level_changed"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def configure(**values) -> ModerationSettings:
    ModerationSettings.objects.update_or_create(pk=1, defaults=values)
    return ModerationSettings.objects.get(pk=1)


# Requirements small enough to meet in a test; the defaults are Discourse's.
EASY = {
    "tl1_topics_entered": 2, "tl1_posts_read": 3, "tl1_minutes_read": 1,
    "tl2_days_visited": 2, "tl2_topics_entered": 2, "tl2_posts_read": 3,
    "tl2_minutes_read": 1, "tl2_likes_given": 1, "tl2_likes_received": 1,
    "tl2_replied_topics": 1,
    "tl3_period_days": 10, "tl3_days_visited_percent": 20, "tl3_topics_viewed_percent": 50,
    "tl3_posts_read_percent": 25, "tl3_replied_topics": 1, "tl3_likes_given": 1,
    "tl3_likes_received": 1, "tl3_max_upheld_flags": 0,
}  # fmt: skip


@pytest.fixture
def general(db):
    return forum.create_category(None, name="General")


@pytest.fixture
def moderator(guidelines) -> User:
    return make_member("mod", guidelines, role=Role.MODERATOR)


@pytest.fixture
def bob(guidelines) -> User:
    return make_member("bob", guidelines)


def read_for(member: User, topic, minutes: int) -> None:
    """The member enters ``topic``, reads it to the end, and the page reports ``minutes``
    of reading in half-minute pings."""
    forum.mark_read(member, topic, topic.highest_post_number)
    TopicReadState.objects.filter(user=member, topic=topic).update(seconds_read=minutes * 60)


def visit_on(member: User, days_ago: list[int]) -> None:
    for days in days_ago:
        activity.record(member, "member.visited", member, at=timezone.now() - timedelta(days=days))


def active_member(handle: str, guidelines, general, others: list[User]) -> tuple[User, list]:
    """A member who did enough for every level of EASY: entered and read two topics of three
    posts, read two minutes, visited on three days, reacted and was reacted to, replied."""
    member = make_member(handle, guidelines)
    topics = []
    for n, author in enumerate(others[:2]):
        topic = forum.create_topic(author, general, title=f"{handle} topic {n}", body="Opening.")
        forum.create_post(others[-1], topic, body=f"A reply to {handle} {n}")
        topics.append(topic)
    forum.create_post(member, topics[0], body="My own reply")
    for topic in topics:
        topic.refresh_from_db()
        read_for(member, topic, minutes=1)
    visit_on(member, [0, 1, 2])
    forum.add_reaction(member, topics[0].posts.get(number=1), "like")
    forum.add_reaction(others[0], topics[0].posts.get(author=member), "thanks")
    return member, topics


def test_limits_of_new_members_follow_the_settings(guidelines, moderator, bob):
    assert limits_for(bob) == Limits(
        links=2, images=1, mentions=2, posts_per_day=10, new_conversations_per_day=3,
        may_message=True,
    )  # fmt: skip
    configure(tl0_links=0, tl0_posts_per_day=4, tl0_conversations_per_day=0)
    limits = limits_for(bob)
    assert limits.links == 0 and limits.posts_per_day == 4
    assert limits.may_message is False and limits.new_conversations_per_day is None
    unlimited = Limits(None, None, None, None, None, True)
    assert limits_for(moderator) == unlimited
    User.objects.filter(pk=bob.pk).update(trust_level=1)
    bob.refresh_from_db()
    assert limits_for(bob) == unlimited


def test_stats_come_from_what_the_platform_records(guidelines, general, moderator, bob):
    carol = make_member("carol", guidelines)
    member, _topics = active_member("dora", guidelines, general, [bob, carol, moderator])
    stats = member_stats([member.pk, bob.pk], timezone.now() - timedelta(days=10))
    mine = stats[member.pk]
    assert mine.topics_entered == 2
    assert mine.posts_read == 3 + 2  # three posts in the first topic, two in the second
    assert mine.minutes_read == 2
    assert mine.days_visited == 3 and mine.recent_days_visited == 3
    assert (mine.likes_given, mine.likes_received) == (1, 1)
    assert mine.replied_topics == 1 and mine.recent_replied_topics == 1
    assert mine.recent_upheld_flags == 0 and mine.ever_suspended is False
    # bob started a topic: he tracks it (entered), and gave the "thanks".
    assert stats[bob.pk].topics_entered == 1 and stats[bob.pk].likes_given == 1


def test_time_read_is_reported_by_the_topic_page_and_capped_by_the_clock(guidelines, general, bob):
    topic = forum.create_topic(bob, general, title="Something to read", body="Long text.")
    reader = make_member("reader", guidelines)
    client = client_for(reader)
    client.get(topic.get_absolute_url())  # enters the topic
    page = client.get(topic.get_absolute_url()).content.decode()
    assert f'hx-post="/t/{topic.pk}/reading/"' in page
    assert client.post(f"/t/{topic.pk}/reading/", {"seconds": "30"}).status_code == 204
    # A second report at once adds nothing: no more time passed than the clock says.
    assert client.post(f"/t/{topic.pk}/reading/", {"seconds": "30"}).status_code == 204
    state = TopicReadState.objects.get(user=reader, topic=topic)
    assert state.seconds_read == 30
    cache.clear()  # as if the last report were long ago
    assert forum.add_reading_time(reader, topic, 3600) == 30  # one report counts 30 s at most
    assert client.post(f"/t/{topic.pk}/reading/", {"seconds": "soon"}).status_code == 400
    assert Client().post(f"/t/{topic.pk}/reading/", {"seconds": "30"}).status_code == 302


def test_the_daily_job_raises_members_who_qualify_once(guidelines, general, moderator, bob):
    configure(**EASY)
    carol = make_member("carol", guidelines)
    member, _topics = active_member("dora", guidelines, general, [bob, carol, moderator])
    newcomer = make_member("newbie", guidelines)  # did nothing: stays at 0

    assert tasks.promote_members() >= 1
    member.refresh_from_db()
    newcomer.refresh_from_db()
    assert member.trust_level == 3 and not member.trust_level_locked
    assert newcomer.trust_level == 0
    entry = AuditEntry.objects.get(action=CHANGED, target_id=str(member.pk))
    assert entry.actor is None and entry.actor_label == "system"
    assert entry.before == {"trust_level": 0, "locked": False}
    assert entry.after == {"trust_level": 3, "locked": False}

    promote_members()  # nothing new: no second entry
    assert AuditEntry.objects.filter(action=CHANGED, target_id=str(member.pk)).count() == 1


def test_the_job_never_lowers_never_gives_tl4_and_leaves_locked_levels(
    guidelines, general, moderator, bob
):
    configure(**EASY)
    carol = make_member("carol", guidelines)
    kept_low, _ = active_member("kept", guidelines, general, [bob, carol, moderator])
    set_trust_level(moderator, kept_low, 0, reason="Watching this account")
    idle_regular = make_member("regular", guidelines)
    User.objects.filter(pk=idle_regular.pk).update(trust_level=3)
    before = AuditEntry.objects.filter(action=CHANGED).count()

    promote_members()
    kept_low.refresh_from_db()
    idle_regular.refresh_from_db()
    assert kept_low.trust_level == 0 and kept_low.trust_level_locked
    assert idle_regular.trust_level == 3
    assert AuditEntry.objects.filter(action=CHANGED).count() == before
    assert not User.objects.filter(trust_level=4).exists()


def test_suspended_or_flagged_members_do_not_reach_tl3(guidelines, general, moderator, bob):
    configure(**EASY)
    carol = make_member("carol", guidelines)
    member, _ = active_member("dora", guidelines, general, [bob, carol, moderator])
    Sanction.objects.create(
        member=member, kind=SanctionKind.SUSPENSION, reason="Spam", created_by=moderator,
        ends_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    promote_members()
    member.refresh_from_db()
    assert member.trust_level == 2

    silenced = make_member("quiet", guidelines)
    User.objects.filter(pk=silenced.pk).update(silenced_until=timezone.now() + timedelta(days=1))
    configure(tl1_topics_entered=0, tl1_posts_read=0, tl1_minutes_read=0)
    promote_members()
    silenced.refresh_from_db()
    assert silenced.trust_level == 0  # no promotion while sanctioned


def test_promotion_reads_members_in_batches_with_few_queries(
    guidelines, general, bob, django_assert_max_num_queries
):
    for n in range(40):
        make_member(f"member{n}", guidelines)
    with django_assert_max_num_queries(15):
        assert promote_members() == 0


def test_staff_set_a_level_by_hand_with_a_reason(guidelines, moderator, bob):
    changed = set_trust_level(moderator, bob, 4, reason="Leads the Polish section")
    assert changed.trust_level == 4 and changed.trust_level_locked
    entry = AuditEntry.objects.get(action=CHANGED)
    assert entry.actor == moderator and entry.reason == "Leads the Polish section"
    assert entry.before == {"trust_level": 0, "locked": False}
    assert entry.after == {"trust_level": 4, "locked": True}
    # The same level again changes nothing and records nothing.
    set_trust_level(moderator, bob, 4, reason="again")
    assert AuditEntry.objects.filter(action=CHANGED).count() == 1
    # Unlocked: handed back to automatic promotion.
    set_trust_level(moderator, bob, 1, reason="Back to normal", lock=False)
    bob.refresh_from_db()
    assert bob.trust_level == 1 and not bob.trust_level_locked
    assert AuditEntry.objects.filter(action=CHANGED).count() == 2


def test_setting_a_level_is_for_staff_with_a_valid_level_and_a_reason(guidelines, moderator, bob):
    with pytest.raises(PermissionDenied):
        set_trust_level(bob, moderator, 0, reason="no")
    with pytest.raises(PermissionDenied):
        set_trust_level(moderator, moderator, 4, reason="myself")
    with pytest.raises(ValidationError) as bad_level:
        set_trust_level(moderator, bob, 5, reason="too high")
    assert "from 0 to 4" in str(bad_level.value)
    with pytest.raises(ValidationError) as no_reason:
        set_trust_level(moderator, bob, 2, reason="  ")
    assert "Say why" in str(no_reason.value)
    assert not AuditEntry.objects.filter(action=CHANGED).exists()


def test_trust_settings_change_with_one_audit_entry(guidelines, moderator, bob):
    update_trust_settings(moderator, tl0_links=5, tl1_posts_read=30)
    entry = AuditEntry.objects.get(action="moderation.trust_settings_changed")
    assert entry.before == {"tl0_links": 2} and entry.after == {"tl0_links": 5}
    with pytest.raises(ValidationError):
        update_trust_settings(moderator, tl3_days_visited_percent=150)
    with pytest.raises(PermissionDenied):
        update_trust_settings(bob, tl0_links=50)
    assert ModerationSettings.objects.get(pk=1).tl0_links == 5


def test_the_staff_page_counts_searches_and_sets_levels(guidelines, moderator, bob):
    make_member("bobby", guidelines)
    User.objects.filter(handle="bobby").update(trust_level=2)
    client = client_for(moderator)
    page = client.get("/moderation/trust/?q=@bo").content.decode()
    assert f"/moderation/trust/{bob.pk}/" in page and "@bobby" in page
    assert f"/moderation/trust/{moderator.pk}/" not in page
    assert "Members at each level" in page and "TL0: links per post" in page

    response = client.post(
        f"/moderation/trust/{bob.pk}/?q=bo",
        {f"member-{bob.pk}-level": "2", f"member-{bob.pk}-reason": "Helps everyone",
         f"member-{bob.pk}-lock": "on"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/moderation/trust/?q=bob"
    bob.refresh_from_db()
    assert bob.trust_level == 2 and bob.trust_level_locked

    # No reason: the form comes back with what was chosen and an error.
    response = client.post(f"/moderation/trust/{bob.pk}/", {f"member-{bob.pk}-level": "3"})
    assert response.status_code == 400
    assert '<option value="3" selected>' in response.content.decode()
    bob.refresh_from_db()
    assert bob.trust_level == 2

    response = client.post("/moderation/trust/", {**EASY, **_limits(), "tl0_links": "7"})
    assert response.status_code == 302
    assert ModerationSettings.objects.get(pk=1).tl0_links == 7
    response = client.post("/moderation/trust/", {**EASY, **_limits(), "tl3_period_days": "0"})
    assert response.status_code == 400 and "tl3_period_days" in response.content.decode()


def _limits() -> dict:
    return {
        "tl0_links": "2", "tl0_images": "1", "tl0_mentions": "2", "tl0_posts_per_day": "10",
        "tl0_conversations_per_day": "3",
    }  # fmt: skip


def test_only_staff_reach_the_staff_page(guidelines, bob, moderator):
    assert client_for(bob).get("/moderation/trust/").status_code == 403
    assert client_for(bob).post(f"/moderation/trust/{moderator.pk}/", {}).status_code == 403
    assert Client().get("/moderation/trust/").status_code == 302


def test_the_profile_shows_the_level_to_the_member_and_to_staff(guidelines, moderator, bob):
    carol = make_member("carol", guidelines)
    own = client_for(bob).get("/u/bob/").content.decode()
    assert "Trust level 0: New member" in own
    assert "What you need for trust level 1:" in own and "Posts read" in own
    assert "Trust level" in client_for(moderator).get("/u/bob/").content.decode()
    assert "Trust level" not in client_for(carol).get("/u/bob/").content.decode()
    assert "Trust level" not in Client().get("/u/bob/").content.decode()


def test_every_batch_is_read(guidelines, monkeypatch):
    monkeypatch.setattr("townsquare.moderation.actions.trust.PROMOTION_BATCH", 7)
    configure(tl1_topics_entered=0, tl1_posts_read=0, tl1_minutes_read=0)
    members = [make_member(f"member{n}", guidelines) for n in range(20)]
    assert promote_members() == 20
    assert set(User.objects.filter(pk__in=[m.pk for m in members]).values_list(
        "trust_level", flat=True
    )) == {1}  # fmt: skip
    assert AuditEntry.objects.filter(action=CHANGED).count() == 20
