"""The support page's fact table (analytics.models.QuestionFact): one row per question.

A question is a topic in a Q&A category. Its facts come from the forum's tables (the
question, its first reply by someone else, its accepted answer) and, for who was staff
when they answered, from the activity log's ``role.changed`` events, so a rebuild gives
the same answer as the runs before it even after a moderator stepped down.

``rebuild`` recomputes every question; ``refresh_touched`` (the hourly run) only the
questions that events above the rollup's watermark touched: a new question or reply, an
accepted or withdrawn answer, a deletion, a move, or a change to a category.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from townsquare.accounts.models import User
from townsquare.analytics.models import QuestionFact
from townsquare.core.models import ActivityEvent
from townsquare.core.permissions.community import STAFF_ROLES
from townsquare.forum.models import CategoryKind, Post, PostKind, Topic

#: Events that change a question's facts, and where they name the topic.
TOPIC_IN_DATA = ("post.created", "post.deleted", "post.recovered", "answer.accepted")
TOPIC_IS_TARGET = (
    "topic.created",
    "topic.first_response",
    "topic.solved",
    "answer.unaccepted",
    "topic.moved",
    "topic.deleted",
    "topic.recovered",
    "topic.merged",
    "topic.split",
)
BATCH = 2000


def _first_reply(field: str) -> Subquery:
    """A field of the question's first reply by someone other than the asker: a regular,
    not deleted post later than the question (Discourse's and CHAOSS's definition). A
    reply by a deleted account counts; so does any reply when the asker's account is
    gone (0 matches no one)."""
    replies = (
        Post.objects.filter(
            topic=OuterRef("pk"),
            number__gt=1,
            kind=PostKind.REGULAR,
            deleted_at__isnull=True,
            created_at__gt=OuterRef("created_at"),
        )
        .filter(Q(author__isnull=True) | ~Q(author=Coalesce(OuterRef("author"), Value(0))))
        .order_by("created_at", "number")
        .values(field)[:1]
    )
    return Subquery(replies)


def _questions(topic_ids: Iterable[int] | None) -> Iterator[dict]:
    questions = Topic.objects.filter(category__kind=CategoryKind.QA)
    if topic_ids is not None:
        questions = questions.filter(pk__in=list(topic_ids))
    return (
        questions.order_by("pk")
        .annotate(reply_at=_first_reply("created_at"), replier=_first_reply("author"))
        .values(
            "pk",
            "category_id",
            "created_at",
            "deleted_at",
            "merged_into_id",
            "solved_at",
            "reply_at",
            "replier",
            "accepted_post__author_id",
            "accepted_post__created_at",
        )
        .iterator(chunk_size=BATCH)
    )


class StaffHistory:
    """``history.was_staff(member_id, when)``: was the member a moderator, manager or
    admin then?

    The role at a time is the ``previous`` role of the first ``role.changed`` event after
    it, or the member's role now when it has not changed since. Role changes are few, so
    all are read once; current roles are read a batch of members at a time (``prime``).
    """

    def __init__(self) -> None:
        self.changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        rows = (
            ActivityEvent.objects.filter(verb="role.changed", target_type=_user_type())
            .order_by("created_at", "id")
            .values_list("target_id", "created_at", "data")
        )
        for target, when, data in rows:
            if target.isdigit() and isinstance(data, dict) and "previous" in data:
                self.changes[int(target)].append((when, data["previous"]))
        self.current: dict[int, str | None] = {}

    def prime(self, members: Iterable[int | None]) -> None:
        wanted = {pk for pk in members if pk is not None and pk not in self.current}
        if wanted:
            self.current.update(User.objects.filter(pk__in=wanted).values_list("pk", "role"))
            for pk in wanted:
                self.current.setdefault(pk, None)

    def was_staff(self, member: int | None, when: datetime) -> bool:
        if member is None:
            return False  # a deleted account: its role is unknown, counted as a member
        for changed_at, previous in self.changes.get(member, ()):
            if changed_at > when:
                return previous in STAFF_ROLES
        self.prime([member])
        return self.current[member] in STAFF_ROLES


def _user_type() -> ContentType:
    return ContentType.objects.get_for_model(User)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))


def _facts(rows: list[dict], staff: StaffHistory) -> list[QuestionFact]:
    staff.prime({row["replier"] for row in rows} | {r["accepted_post__author_id"] for r in rows})
    facts = []
    for row in rows:
        asked, solved = _utc(row["created_at"]), row["solved_at"]
        solver = row["accepted_post__author_id"]
        if solved is None or row["accepted_post__created_at"] is None:
            solved = None
        facts.append(
            QuestionFact(
                topic_id=row["pk"],
                category_id=row["category_id"],
                asked_at=asked,
                asked_on=asked.date(),
                first_response_at=row["reply_at"],
                first_response_seconds=_seconds(asked, row["reply_at"]),
                first_responder_staff=(
                    staff.was_staff(row["replier"], row["reply_at"]) if row["reply_at"] else None
                ),
                solved_at=solved,
                solved_on=_utc(solved).date() if solved else None,
                solution_seconds=_seconds(asked, solved),
                solver_staff=staff.was_staff(solver, row["accepted_post__created_at"])
                if solved
                else None,
                deleted=row["deleted_at"] is not None or row["merged_into_id"] is not None,
            )
        )
    return facts


def refresh(topic_ids: Iterable[int] | None = None) -> int:
    """Recompute the facts of the given topics (all when None) in one transaction: a
    topic that is no longer a question (moved out of Q&A) loses its row. Returns how
    many questions were written."""
    ids = None if topic_ids is None else sorted(set(topic_ids))
    if ids == []:
        return 0
    staff = StaffHistory()
    written = 0
    with transaction.atomic():
        if ids is None:
            QuestionFact.objects.all().delete()
        else:
            for start in range(0, len(ids), BATCH):
                QuestionFact.objects.filter(topic_id__in=ids[start : start + BATCH]).delete()
        batch: list[dict] = []
        chunks = [None] if ids is None else [ids[n : n + BATCH] for n in range(0, len(ids), BATCH)]
        for chunk in chunks:
            for row in _questions(chunk):
                batch.append(row)
                if len(batch) == BATCH:
                    written += len(QuestionFact.objects.bulk_create(_facts(batch, staff)))
                    batch = []
        if batch:
            written += len(QuestionFact.objects.bulk_create(_facts(batch, staff)))
    return written


def touched(since: int, until: int) -> set[int]:
    """Topics whose facts events with ids in (since, until] may have changed."""
    if until <= since:
        return set()
    topic_type = ContentType.objects.get_for_model(Topic)
    events = ActivityEvent.objects.filter(id__gt=since, id__lte=until).filter(
        Q(verb__in=TOPIC_IN_DATA)
        | Q(verb__in=TOPIC_IS_TARGET, target_type=topic_type)
        | Q(verb__startswith="category.")
    )
    topics: set[int] = set()
    categories: set[int] = set()
    for verb, target, data in events.values_list("verb", "target_id", "data"):
        data = data if isinstance(data, dict) else {}
        if verb.startswith("category."):
            # A category's kind may have changed: all its topics may (no longer) be
            # questions. Category edits are rare.
            if target.isdigit():
                categories.add(int(target))
            continue
        found = [data.get("topic")] if verb in TOPIC_IN_DATA else [target]
        found += [data.get("new_topic"), data.get("into")]
        topics.update(int(v) for v in found if isinstance(v, int | str) and str(v).isdigit())
    if categories:
        topics.update(Topic.objects.filter(category_id__in=categories).values_list("pk", flat=True))
        topics.update(
            QuestionFact.objects.filter(category_id__in=categories).values_list(
                "topic_id", flat=True
            )
        )
    return topics


def refresh_touched(since: int, until: int) -> int:
    """The hourly run: refresh the questions touched by new events."""
    return refresh(touched(since, until))
