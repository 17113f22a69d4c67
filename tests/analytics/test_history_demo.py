"""The demo's generated history: backdated, consistent with the forum's counters, loaded
once, and enough for the dashboard to show figures on first open."""

import random
import re
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.analytics import history_demo
from townsquare.core.models import ActivityEvent, PageView, Source
from townsquare.forum.models import Post, Reaction, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, capsys) -> str:
    """The demo loaded, and what it printed."""
    settings.DEMO_HISTORY_DAYS = 60  # long enough for members to go quiet
    call_command("demo")
    return capsys.readouterr().out


def test_history_is_backdated_consistent_and_on_the_dashboard(demo):
    now = timezone.now()
    out = demo
    assert re.search(r"History \(60 days\): \d+ more members, \d+ page views", out)
    assert "Analytics:" in out and "days rolled up" in out

    # Sign-ups happened when the members joined, not when the demo was loaded.
    sign_ups = ActivityEvent.objects.filter(verb="member.signed_up").select_related("actor")
    assert sign_ups.count() == User.objects.count()
    for event in sign_ups:
        assert abs(event.created_at - event.actor.date_joined) < timedelta(hours=1)
    today = now.astimezone(UTC).date()
    assert not sign_ups.filter(actor__role__in=[Role.ADMIN, Role.MANAGER]).filter(
        created_at__date=today
    )

    # Page views from every source, by visitors and members, spread over the history.
    views = PageView.objects.all()
    assert set(views.values_list("source", flat=True).distinct()) >= {
        Source.DIRECT, Source.SEARCH, Source.EMAIL, Source.SOCIAL, Source.REFERRAL,
    }  # fmt: skip
    assert views.filter(user=None).exists() and views.exclude(user=None).exists()
    assert views.filter(created_at__lt=now - timedelta(days=50)).exists()
    assert not views.filter(created_at__gt=now).exists()
    assert not ActivityEvent.objects.filter(created_at__gt=now).exists()

    # Counters agree with the rows they count.
    for post in Post.objects.annotate(n=Count("reactions")).exclude(n=0):
        assert sum(post.reaction_counts.values()) == post.n
    for topic in Topic.objects.annotate(n=Count("posts__reactions")):
        assert topic.reaction_count == topic.n
    # Reactions are recorded in the log at their own time, one event each.
    assert ActivityEvent.objects.filter(verb="post.reacted").count() == Reaction.objects.count()
    late = Reaction.objects.filter(created_at__gte=now - timedelta(minutes=5)).count()
    assert late < Reaction.objects.count() / 5

    # Questions answered after they were asked, solved after the answer.
    solved = Topic.objects.filter(category__kind="qa", accepted_post__isnull=False)
    assert solved.exists()
    for topic in solved:
        assert topic.created_at < topic.first_response_at <= topic.solved_at <= now
        assert topic.reply_count == topic.posts.count() - 1

    # Some members stopped coming: active once, silent in the last 30 days.
    last_seen = User.objects.filter(role=Role.MEMBER, last_seen_at__isnull=False)
    assert last_seen.filter(last_seen_at__lt=now - timedelta(days=30)).exists()

    # Loaded once: a second run adds no history.
    counts = (PageView.objects.count(), ActivityEvent.objects.count())
    assert history_demo.load() == {}
    assert (PageView.objects.count(), ActivityEvent.objects.count()) == counts

    # The dashboard shows figures on first open, for 30 days and the whole history. (One
    # test: loading the demo is the slow part.)
    client = Client()
    client.force_login(User.objects.get(email="manager@example.com"))
    for query in ("", f"?from={timezone.now().date() - timedelta(days=59):%Y-%m-%d}"):
        response = client.get(f"/manage/analytics/{query}")
        assert response.status_code == 200
        tables = response.context["sections"]
        figures = {row.key: row.current for _key, _label, rows, _chart in tables for row in rows}
        assert figures["pageviews"] > 500
        assert figures["visitors"] > 200
        assert figures["dau"] > 1
        assert 0 < figures["engagement_rate"] < 100
        assert figures["new_members"] > 0
        assert figures["posts"] > 0 and figures["reactions"] > 0
        sources = {row.key: row.current for row in response.context["sources"]}
        assert all(sources[s] > 0 for s in ("direct", "search", "email", "social", "referral"))
        assert response.context["referrers"]


class _LowestRolls(random.Random):
    """Every roll comes out lowest: each member goes quiet and visits every day."""

    def random(self) -> float:
        return 0.0


def test_a_member_who_joined_today_and_goes_quiet_still_gets_a_day_of_visits(member):
    # A quiet member's own tenure once replaced the history's length in the growth curve:
    # joined today, it was 0 and the demo divided by it.
    now = timezone.now()
    first = now.astimezone(UTC).date() - timedelta(days=59)
    views, counts = history_demo._members(
        _LowestRolls(), history_demo._Site(), first, now, [], set()
    )
    assert counts["visits"] == 1
    assert {view.user_id for view in views} == {member.pk}
