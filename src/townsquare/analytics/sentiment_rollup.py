"""Scoring forum posts (``analytics.sentiment``) into ``PostSentiment`` and summing them
per UTC day and category into ``SentimentDay``: what the sentiment page reads.

The incremental run (hourly job ``score_sentiment``) scores posts that have no score yet
(new ones, recovered or unhidden ones), posts edited since the last run and posts whose
topic moved; it removes the scores of posts that stopped counting (deleted, hidden, or in
a deleted or hidden topic). It compares with the forum's tables rather than following
every verb that can change them, so no path (a review decision, a merge) is missed. Each
day touched is summed again whole, so a run is idempotent. ``rebuild`` rescores all.
"""

from collections.abc import Iterable
from datetime import UTC, date

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from townsquare.analytics import sentiment
from townsquare.analytics.models import PostSentiment, SentimentDay, SentimentState
from townsquare.forum.models import Post, PostKind

STATE = "sentiment"
BATCH = 2000


def countable_posts() -> QuerySet[Post]:
    """Posts whose sentiment counts: members' posts (not moderator action lines), neither
    deleted nor hidden, in a topic that is neither."""
    return Post.objects.filter(
        kind=PostKind.REGULAR,
        deleted_at__isnull=True,
        hidden_at__isnull=True,
        topic__deleted_at__isnull=True,
        topic__hidden_at__isnull=True,
    )


def _text(row: dict) -> str:
    # The opening post carries its topic's title ("Broken again!"), which says much.
    text = row["text"] or ""
    return f"{row['topic__title']}\n{text}" if row["number"] == 1 else text


def _score(ids: Iterable[int]) -> set[date]:
    """Score the given posts (those that count) and store their scores; the UTC days of
    the posts scored."""
    ids = sorted(set(ids))
    days: set[date] = set()
    for start in range(0, len(ids), BATCH):
        rows = countable_posts().filter(pk__in=ids[start : start + BATCH])
        days |= _store(
            rows.values(
                "pk",
                "number",
                "text",
                "created_at",
                "topic_id",
                "topic__title",
                "topic__category_id",
                "author__language",
            )
        )
    return days


def _store(rows: Iterable[dict]) -> set[date]:
    found, days = [], set()
    for row in rows:
        language, value = sentiment.score_text(_text(row), row["author__language"] or "")
        day = row["created_at"].astimezone(UTC).date()
        days.add(day)
        found.append(
            PostSentiment(
                post_id=row["pk"],
                topic_id=row["topic_id"],
                category_id=row["topic__category_id"],
                day=day,
                language=language,
                score=value,
            )
        )
    PostSentiment.objects.bulk_create(
        found,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["post"],
        update_fields=["topic_id", "category_id", "day", "language", "score", "scored_at"],
    )
    return days


def summarise(days: Iterable[date]) -> None:
    """Sum the scores of the given days again, whole, per category (one transaction)."""
    days = sorted(set(days))
    if not days:
        return
    with transaction.atomic():
        SentimentDay.objects.filter(day__in=days).delete()
        for start in range(0, len(days), 500):
            grouped = (
                PostSentiment.objects.filter(day__in=days[start : start + 500])
                .order_by()
                .values("day", "category_id")
                .annotate(
                    n=Count("pk"),
                    total=Sum("score"),
                    negative=Count("pk", filter=Q(score__lt=-sentiment.NEUTRAL)),
                    positive=Count("pk", filter=Q(score__gt=sentiment.NEUTRAL)),
                )
            )
            SentimentDay.objects.bulk_create(
                [
                    SentimentDay(
                        day=row["day"],
                        category_id=row["category_id"],
                        posts=row["n"],
                        score_sum=row["total"],
                        negative=row["negative"],
                        positive=row["positive"],
                    )
                    for row in grouped
                ],
                batch_size=1000,
            )


def score_recent() -> int:
    """The incremental run. Returns how many posts were scored or dropped."""
    state = SentimentState.objects.filter(name=STATE).first()
    started = timezone.now()
    gone = PostSentiment.objects.filter(
        ~Q(post__kind=PostKind.REGULAR)
        | Q(post__deleted_at__isnull=False)
        | Q(post__hidden_at__isnull=False)
        | Q(post__topic__deleted_at__isnull=False)
        | Q(post__topic__hidden_at__isnull=False)
    )
    dropped = list(gone.values_list("pk", "day"))
    # Split, merged or moved topics: the post's topic or category is not the one copied.
    moved = PostSentiment.objects.filter(
        ~Q(topic_id=F("post__topic_id")) | ~Q(category_id=F("post__topic__category_id"))
    )
    moved_rows = list(moved.values_list("pk", "day"))
    todo = {pk for pk, _day in moved_rows}
    todo.update(countable_posts().filter(sentiment__isnull=True).values_list("pk", flat=True))
    if state is not None:
        edited = countable_posts().filter(edited_at__gte=state.started_at)
        todo.update(edited.values_list("pk", flat=True))
    days = {day for _pk, day in dropped} | {day for _pk, day in moved_rows}
    gone_ids = [pk for pk, _day in dropped]
    for start in range(0, len(gone_ids), BATCH):
        PostSentiment.objects.filter(pk__in=gone_ids[start : start + BATCH]).delete()
    days |= _score(todo)
    summarise(days)
    SentimentState.objects.update_or_create(name=STATE, defaults={"started_at": started})
    return len(todo) + len(dropped)


def rebuild() -> int:
    """Score every post that counts again and sum every day. Returns the posts scored."""
    started = timezone.now()
    PostSentiment.objects.all().delete()
    SentimentDay.objects.all().delete()
    days: set[date] = set()
    count, last = 0, 0
    fields = (
        "pk",
        "number",
        "text",
        "created_at",
        "topic_id",
        "topic__title",
        "topic__category_id",
        "author__language",
    )
    while True:
        rows = list(countable_posts().filter(pk__gt=last).order_by("pk").values(*fields)[:BATCH])
        if not rows:
            break
        days |= _store(rows)
        count += len(rows)
        last = rows[-1]["pk"]
    summarise(days)
    SentimentState.objects.update_or_create(name=STATE, defaults={"started_at": started})
    return count
