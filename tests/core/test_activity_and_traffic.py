import pytest
from django.test import Client

from townsquare.core import activity
from townsquare.core.models import ActivityEvent, PageView, Source
from townsquare.core.traffic import classify, visitor_key


@pytest.mark.parametrize(
    ("referrer", "query", "expected"),
    [
        ("", "", Source.DIRECT),
        ("https://www.google.com/search?q=x", "", Source.SEARCH),
        ("https://www.baidu.com/s?wd=x", "", Source.SEARCH),
        ("https://duckduckgo.com/", "", Source.SEARCH),
        ("https://t.co/abc", "", Source.SOCIAL),
        ("https://www.linkedin.com/feed/", "", Source.SOCIAL),
        ("https://weibo.com/u/1", "", Source.SOCIAL),
        ("https://www.wykop.pl/link/1", "", Source.SOCIAL),
        ("https://mail.google.com/mail/u/0/", "", Source.EMAIL),
        ("", "utm_medium=email&utm_source=digest", Source.EMAIL),
        ("https://blog.example.org/post", "", Source.REFERRAL),
        ("https://notgoogle.example/", "", Source.REFERRAL),
        ("https://community.test/members/", "", Source.INTERNAL),
    ],
)
def test_referrer_classification(referrer, query, expected):
    assert classify(referrer, "community.test:8000", query)[0] == expected


def test_visitor_key_is_stable_within_a_day_and_not_the_address():
    key = visitor_key("203.0.113.9", "Firefox")
    assert key == visitor_key("203.0.113.9", "Firefox")
    assert key != visitor_key("203.0.113.9", "Chrome")
    assert "203.0.113.9" not in key


@pytest.mark.django_db
def test_activity_log_is_append_only(member):
    event = ActivityEvent.objects.filter(actor=member).first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ActivityEvent.objects.all().update(verb="x")
    with pytest.raises(TypeError):
        ActivityEvent.objects.all().delete()


@pytest.mark.django_db
def test_events_carry_channel_and_visit_source(client: Client, member):
    client.force_login(member)
    client.get("/", HTTP_REFERER="https://www.google.com/")
    # A later in-community click keeps the visit's source: search.
    client.post(
        "/settings/",
        {"display_name": "A", "language": "en", "timezone": "UTC"},
        HTTP_REFERER="http://testserver/settings/",
    )
    event = ActivityEvent.objects.get(verb="member.account_updated")
    assert (event.channel, event.source, event.actor) == ("web", "search", member)


@pytest.mark.django_db
def test_actions_outside_requests_are_system(member):
    with activity.origin("email", "email"):
        event = activity.record(member, "test.by_email", member)
    assert (event.channel, event.source) == ("email", "email")
    assert activity.record(None, "test.system").channel == "system"


@pytest.mark.django_db
def test_sign_in_and_out_are_recorded(client: Client, member):
    from tests.conftest import PASSWORD

    client.post("/accounts/login/", {"login": "ALICE@example.com", "password": PASSWORD})
    client.post("/accounts/logout/")
    verbs = list(ActivityEvent.objects.filter(actor=member).values_list("verb", flat=True))
    assert "member.logged_in" in verbs and "member.logged_out" in verbs


@pytest.mark.django_db
def test_page_views_of_visitors_and_members(client: Client, member):
    client.get("/members/", HTTP_REFERER="https://www.bing.com/", HTTP_USER_AGENT="Firefox")
    client.get("/api/v1/community")
    client.get("/static/townsquare/app.css")
    client.get("/", HTTP_USER_AGENT="Googlebot/2.1")
    client.force_login(member)
    client.get("/u/alice/")
    views = list(PageView.objects.order_by("id"))
    assert [(v.path, v.source, v.user_id) for v in views] == [
        ("/members/", "search", None),
        ("/u/alice/", "direct", member.pk),
    ]
    assert views[0].referrer_host == "bing.com"
    assert (views[0].area, views[0].route) == ("members", "member_list")
    assert (views[1].area, views[1].route) == ("members", "member_detail")


@pytest.mark.django_db
def test_page_view_tracking_can_be_switched_off(client: Client, settings, guidelines):
    settings.PAGEVIEW_TRACKING = False
    client.get("/")
    assert not PageView.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_sqlite_gets_planner_statistics_daily():
    """SQLite plans badly without statistics; the daily job (and migrate) keeps them."""
    from django.db import connection

    from townsquare.core.scheduler import run_due

    assert "analyze-database" in run_due({}, now=10**9)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
