"""Sentiment: the offline scorer in three languages, the incremental scoring job, the
daily sums, the page (/manage/analytics/sentiment/), its CSV and the API metrics."""

import csv
import io
import math
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.analytics.conftest import person
from tests.api.conftest import Api
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.analytics import metrics, sentiment, sentiment_rollup
from townsquare.analytics.models import PostSentiment, SentimentDay
from townsquare.analytics.periods import Period
from townsquare.forum.models import Category, Post, Topic
from townsquare.groups import actions as group_actions

URL = "/manage/analytics/sentiment/"
DAY = date(2026, 3, 31)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def topic_with(category: Category, title: str, texts: list[str], day: date, author=None) -> Topic:
    """A topic whose posts have the given texts, all written on ``day``."""
    topic = Topic.objects.create(
        category=category, title=title, slug="t", author=author, created_at=at(day)
    )
    for number, text in enumerate(texts, start=1):
        Post.objects.create(
            topic=topic,
            number=number,
            author=author,
            body=text,
            body_html=f"<p>{text}</p>",
            text=text,
            created_at=at(day, 12 + number % 10),
        )
    Topic.objects.filter(pk=topic.pk).update(highest_post_number=len(texts))
    return topic


# --- The scorer ---------------------------------------------------------------------------

CLEAR = [
    ("en", "Thank you so much, this community is wonderful and the answer was great!", 1),
    ("en", "This update is terrible, it broke everything and I hate it.", -1),
    ("zh", "这个社区非常好，谢谢大家的帮助！", 1),
    ("zh", "这个更新太糟糕了，什么都坏了，我很失望。", -1),
    ("pl", "Świetna społeczność, bardzo dziękuję za pomoc!", 1),
    ("pl", "Ta aktualizacja jest okropna, jestem bardzo rozczarowany.", -1),
]


@pytest.mark.parametrize(("language", "text", "sign"), CLEAR)
def test_clear_sentences_get_the_sign_a_reader_gives_them(language, text, sign):
    found, value = sentiment.score_text(text)
    assert found == language
    assert -1 <= value <= 1
    assert math.copysign(1, value) == sign and abs(value) > 0.3, value


@pytest.mark.parametrize(
    "text",
    ["The meeting is on Tuesday.", "会议在星期二。", ""],
)
def test_plain_statements_are_neutral(text):
    assert sentiment.label(sentiment.score_text(text)[1]) == "neutral"


def test_a_negation_turns_a_word_round():
    assert sentiment.score("我喜欢这个", "zh") > 0.3
    assert sentiment.score("我不喜欢这个", "zh") < -0.3
    assert sentiment.score("Polecam", "pl") > 0.3
    assert sentiment.score("Nie polecam", "pl") < -0.3


def test_the_language_of_a_post():
    assert sentiment.detect_language("你好，世界") == "zh"
    assert sentiment.detect_language("Dzień dobry") == "pl"  # a Polish letter
    assert sentiment.detect_language("To nie dziala") == "pl"  # a Polish word, no letters
    assert sentiment.detect_language("Good morning") == "en"
    # No sign either way: the author's language decides between Polish and English.
    assert sentiment.detect_language("Super", preferred="pl") == "pl"
    assert sentiment.detect_language("Super", preferred="zh-hans") == "en"


def test_a_sum_of_valences_is_normalised_like_vader():
    # s / sqrt(s² + 15): 4 → 4 / sqrt(31) = 0.7184; the sign is kept; 0 stays 0.
    assert sentiment.normalise(4) == pytest.approx(0.71842, abs=1e-4)
    assert sentiment.normalise(-4) == pytest.approx(-0.71842, abs=1e-4)
    assert sentiment.normalise(0) == 0
    assert sentiment.normalise(1e9) <= 1


def test_thresholds():
    assert sentiment.label(-0.06) == "negative"
    assert sentiment.label(0.05) == "neutral"
    assert sentiment.label(0.051) == "positive"


# --- Aggregates worked out by hand ----------------------------------------------------------


@pytest.mark.django_db
def test_three_posts_scored_plus_half_minus_half_and_point_six_have_mean_point_two():
    general = Category.objects.create(name="General", slug="general")
    topic = topic_with(general, "Hello", ["a", "b", "c"], DAY)
    for post, value in zip(topic.posts.order_by("number"), (0.5, -0.5, 0.6), strict=True):
        PostSentiment.objects.create(
            post=post, topic_id=topic.pk, category_id=general.pk, day=DAY, language="en",
            score=value,
        )  # fmt: skip
    sentiment_rollup.summarise([DAY])
    period = Period(DAY, DAY)
    # (0.5 − 0.5 + 0.6) / 3 = 0.2; 1 of 3 negative = 33.33 %; 2 of 3 positive = 66.67 %.
    assert metrics.series("sentiment", period).total == pytest.approx(0.2)
    assert metrics.series("sentiment", period).series == [(DAY, pytest.approx(0.2))]
    assert metrics.series("negative_share", period).total == 33.33
    assert metrics.series("positive_share", period).total == 66.67
    # Filtered by another category: nothing scored there.
    assert metrics.series("sentiment", period, [general.pk + 1]).total is None


@pytest.mark.django_db
def test_the_period_mean_is_over_posts_not_over_days():
    """Day 1: one post at −0.9; day 2: three posts at +0.3. Mean of the days would be
    −0.3; mean of the posts is (−0.9 + 0.9) / 4 = 0."""
    general = Category.objects.create(name="General", slug="general")
    first = topic_with(general, "One", ["x"], DAY - timedelta(days=1))
    second = topic_with(general, "Two", ["x", "y", "z"], DAY)
    rows = [(first, DAY - timedelta(days=1), -0.9)] + [(second, DAY, 0.3)] * 3
    posts = list(first.posts.all()) + list(second.posts.order_by("number"))
    for post, (topic, day, value) in zip(posts, rows, strict=True):
        PostSentiment.objects.create(
            post=post, topic_id=topic.pk, category_id=general.pk, day=day, language="en",
            score=value,
        )  # fmt: skip
    sentiment_rollup.summarise([DAY - timedelta(days=1), DAY])
    value = metrics.series("sentiment", Period(DAY - timedelta(days=1), DAY))
    assert value.total == pytest.approx(0.0)
    assert value.series == [(DAY - timedelta(days=1), -0.9), (DAY, 0.3)]


# --- The scoring job ------------------------------------------------------------------------


@pytest.fixture
def forum(db):
    general = Category.objects.create(name="General", slug="general")
    other = Category.objects.create(name="Other", slug="other")
    happy = topic_with(
        general,
        "Thanks",
        ["Thank you, this is wonderful!", "Great answer, I love it.", "The meeting is on Monday."],
        DAY,
    )
    angry = topic_with(
        general,
        "Broken",
        ["This is terrible and broken.", "Awful, I hate this bug.", "Horrible, still broken."],
        DAY - timedelta(days=1),
    )
    return general, other, happy, angry


def _rows() -> dict[int, tuple]:
    return {
        row.post_id: (row.topic_id, row.category_id, row.day, row.language, row.score)
        for row in PostSentiment.objects.all()
    }


def _days() -> list[tuple]:
    return sorted(
        SentimentDay.objects.values_list("day", "category_id", "posts", "negative", "positive")
    )


def test_the_job_scores_new_posts_and_sums_each_day(forum):
    general = forum[0]
    assert sentiment_rollup.score_recent() == 6
    assert len(_rows()) == 6
    # Day before: 3 negative posts; the day: 2 positive and one neutral.
    assert _days() == [
        (DAY - timedelta(days=1), general.pk, 3, 3, 0),
        (DAY, general.pk, 3, 0, 2),
    ]
    rows, days = _rows(), _days()
    assert sentiment_rollup.score_recent() == 0  # nothing new: idempotent
    assert _rows() == rows and _days() == days


def test_deleted_hidden_edited_and_moved_posts(forum):
    general, other, happy, angry = forum
    sentiment_rollup.score_recent()
    thanks, great, meeting = happy.posts.order_by("number")
    Post.objects.filter(pk=thanks.pk).update(deleted_at=timezone.now())
    Post.objects.filter(pk=great.pk).update(hidden_at=timezone.now())
    Post.objects.filter(pk=meeting.pk).update(
        text="The meeting was a disaster, awful.", edited_at=timezone.now()
    )
    Topic.objects.filter(pk=angry.pk).update(category=other)
    sentiment_rollup.score_recent()
    rows = _rows()
    assert thanks.pk not in rows and great.pk not in rows
    assert rows[meeting.pk][4] < -0.05
    assert {rows[post.pk][1] for post in angry.posts.all()} == {other.pk}
    assert _days() == [
        (DAY - timedelta(days=1), other.pk, 3, 3, 0),
        (DAY, general.pk, 1, 1, 0),
    ]
    # Recovered: counted again.
    Post.objects.filter(pk=thanks.pk).update(deleted_at=None)
    sentiment_rollup.score_recent()
    assert thanks.pk in _rows()
    assert (DAY, general.pk, 2, 1, 1) in _days()


def test_a_deleted_topic_takes_its_posts_out(forum):
    _general, _other, happy, angry = forum
    sentiment_rollup.score_recent()
    Topic.objects.filter(pk=angry.pk).update(deleted_at=timezone.now())
    sentiment_rollup.score_recent()
    assert {row[0] for row in _rows().values()} == {happy.pk}


def test_rebuild_gives_what_the_incremental_runs_gave(forum):
    sentiment_rollup.score_recent()
    rows, days = _rows(), _days()
    assert sentiment_rollup.rebuild() == 6
    assert _rows() == rows and _days() == days


def test_the_author_language_decides_text_without_signs(db):
    general = Category.objects.create(name="General", slug="general")
    pole = person()
    pole.language = "pl"
    pole.save(update_fields=["language"])
    topic = topic_with(general, "Super", ["Super"], DAY, author=pole)
    sentiment_rollup.score_recent()
    assert PostSentiment.objects.get(post__topic=topic).language == "pl"


# --- The page -----------------------------------------------------------------------------


@pytest.fixture
def today():
    return timezone.now().astimezone(UTC).date()


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    return client


@pytest.fixture
def scored(db, today):
    general = Category.objects.create(name="General", slug="general")
    angry = topic_with(
        general,
        "=HYPERLINK(evil) Broken",
        ["This is terrible.", "Awful bug, I hate it.", "Horrible, still broken."],
        today,
    )
    topic_with(general, "Thanks", ["Thank you, wonderful!", "Great, I love it."], today)
    sentiment_rollup.score_recent()
    return general, angry


def test_only_managers_and_admins_see_it(client, member_client, admin_member_client, scored):
    assert client.get(URL).status_code == 302  # to sign in
    assert "/accounts/login/" in client.get(URL)["Location"]
    assert member_client.get(URL).status_code == 403
    assert member_client.get(URL + "?format=csv&table=threads").status_code == 403
    assert admin_member_client.get(URL).status_code == 200


def test_the_page_shows_the_numbers(manager_client, scored):
    angry = scored[1]
    response = manager_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    report = response.context["report"]
    # 5 posts: 3 negative, 2 positive → 60 % and 40 %.
    assert [row.current for row in report.shares] == [60.0, 0.0, 40.0]
    assert report.headline[1].current == 5
    # A score's change in per cent would mislead (−0.2 to +0.2 is "−200 %"): none shown.
    assert report.headline[0].change is None and report.categories[0].change is None
    assert [thread.topic.pk for thread in report.threads] == [angry.pk]
    assert angry.get_absolute_url() in page
    assert "General" in page
    assert "<svg" in page and 'aria-current="page"' in page


def test_each_table_as_csv(manager_client, scored):
    for table in ("sentiment", "shares", "categories"):
        response = manager_client.get(URL, {"format": "csv", "table": table})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) >= 2
    shares = manager_client.get(URL, {"format": "csv", "table": "shares"})
    rows = list(csv.reader(io.StringIO(shares.content.decode("utf-8-sig"))))
    assert rows[1][:2] == ["Negative", "60 %"]
    threads = manager_client.get(URL, {"format": "csv", "table": "threads"})
    rows = list(csv.reader(io.StringIO(threads.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(evil) Broken"  # formula injection defused
    assert rows[1][2] == "3"
    assert manager_client.get(URL, {"format": "csv", "table": "nope"}).status_code == 404


def test_threads_come_from_the_permission_policy(manager_client, today):
    """The list of threads is what ``visible_topics`` gives the reader: managers see
    every category, but not unlisted topics in lists; the category sums still count them."""
    general = Category.objects.create(name="General", slug="general")
    board = Category.objects.create(name="Board", slug="board")
    board.read_groups.add(group_actions.create_group(None, name="Board members"))
    secret = topic_with(board, "Board", ["Terrible.", "Awful, I hate it.", "Horrible."], today)
    hidden = topic_with(general, "Unlisted", ["Terrible.", "Awful.", "Horrible."], today)
    Topic.objects.filter(pk=hidden.pk).update(is_listed=False)
    sentiment_rollup.score_recent()
    report = manager_client.get(URL).context["report"]
    assert [thread.topic.pk for thread in report.threads] == [secret.pk]
    assert {row.label for row in report.categories} == {"General", "Board"}


def test_threads_are_ranked_on_the_last_30_days_of_the_period(manager_client, today):
    general = Category.objects.create(name="General", slug="general")
    old = topic_with(general, "Old", ["Terrible.", "Awful.", "Horrible."], today - timedelta(30))
    new = topic_with(general, "New", ["Terrible.", "Awful.", "Horrible."], today - timedelta(29))
    sentiment_rollup.score_recent()
    query = {"from": today - timedelta(days=89), "to": today}
    report = manager_client.get(URL, query).context["report"]
    assert [thread.topic.pk for thread in report.threads] == [new.pk]
    assert report.headline[1].current == 6  # the period's figures count both
    assert old.pk not in [thread.topic.pk for thread in report.threads]


def test_the_page_runs_a_fixed_number_of_queries(manager_client, today):
    general = Category.objects.create(name="General", slug="general")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(URL).status_code == 200
        return len(queries)

    topic_with(general, "One", ["Terrible.", "Awful.", "Horrible."], today)
    sentiment_rollup.score_recent()
    count()  # the first request of a session reads what later ones have cached
    few = count()
    for n in range(8):
        topic_with(general, f"T{n}", ["Terrible.", "Awful.", "Horrible."], today - timedelta(n))
    sentiment_rollup.score_recent()
    assert count() == few


# --- The API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_serves_the_sentiment_metrics(guidelines):
    general = Category.objects.create(name="General", slug="general")
    topic = topic_with(general, "Hello", ["a", "b", "c", "d"], DAY)
    for post, value in zip(topic.posts.order_by("number"), (0.5, -0.5, 0.6, 0.0), strict=True):
        PostSentiment.objects.create(
            post=post, topic_id=topic.pk, category_id=general.pk, day=DAY, language="en",
            score=value,
        )  # fmt: skip
    sentiment_rollup.summarise([DAY])
    api = Api(make_member("maja", guidelines, role=Role.MANAGER))
    query = {"from": "2026-03-30", "to": "2026-03-31"}
    body = api.get("/metrics", metric="sentiment", **query).json()
    assert body["total"] == pytest.approx(0.15)  # (0.5 − 0.5 + 0.6 + 0) / 4
    assert body["series"] == [{"day": "2026-03-31", "value": 0.15}]
    body = api.get("/metrics", metric="negative_share", **query).json()
    assert body["total"] == 25.0  # 1 of 4
    body = api.get("/metrics", metric="sentiment", category=str(general.pk), **query).json()
    assert body["total"] == pytest.approx(0.15)
    member = Api(make_member("bob", guidelines))
    assert member.get("/metrics", metric="sentiment").status_code == 403


def test_the_demo_loader_scores_once(forum):
    from townsquare.analytics import sentiment_demo

    assert sentiment_demo.load() == {"posts": 6, "negative": 3, "positive": 2}
    assert sentiment_demo.load() == {}


def test_the_hourly_job_is_scheduled_and_runs(forum, settings):
    from townsquare.analytics.tasks import score_sentiment

    schedule = settings.CELERY_BEAT_SCHEDULE["score-sentiment"]
    assert (schedule["task"], schedule["schedule"]) == (score_sentiment.name, 3600.0)
    assert score_sentiment.apply().get() == 6
    assert score_sentiment.apply().get() == 0
    assert PostSentiment.objects.count() == 6


def test_the_command(forum, capsys):
    from django.core.management import call_command

    call_command("sentiment")
    assert "Scored or dropped 6 posts." in capsys.readouterr().out
    call_command("sentiment", "--rebuild")
    assert "Scored 6 posts." in capsys.readouterr().out
