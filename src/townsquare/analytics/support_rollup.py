"""The support page's fact table (analytics.models.QuestionFact): one row per question.

A question is a topic in a Q&A category. Its facts come from the forum's tables (the
question, its first reply by someone else, its accepted answer) and, for who was staff
when they answered, from the activity log's ``role.changed`` events, so a rebuild gives
the same answer as the runs before it even after a moderator stepped down.

``rebuild`` recomputes every question; ``refresh_touched`` (the hourly run) only the
questions that events above the rollup's watermark touched: a new question or reply, an
accepted or withdrawn answer, a deletion, a move, or a change to a category.

Each refresh then recomputes the daily per-category sums (SupportDay) of the days its
questions were asked or solved on, before and after, and the monthly sums (SupportMonth)
of those days' months: what the pages read.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from townsquare.accounts.models import User
from townsquare.analytics.models import QuestionFact, SupportDay, SupportMonth
from townsquare.analytics.support import COUNTS, EDGES, add_buckets, bucket, next_month
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
    topic that is no longer a question (moved out of Q&A) loses its row. Then the daily
    sums of the days those questions were asked or solved on (all days when None).
    Returns how many questions were written."""
    ids = None if topic_ids is None else sorted(set(topic_ids))
    if ids == []:
        return 0
    staff = StaffHistory()
    written = 0
    days: set[date] = set()
    with transaction.atomic():
        if ids is None:
            QuestionFact.objects.all().delete()
        else:
            for start in range(0, len(ids), BATCH):
                old = QuestionFact.objects.filter(topic_id__in=ids[start : start + BATCH])
                for asked_on, solved_on in old.values_list("asked_on", "solved_on"):
                    days.update((asked_on, solved_on))
                old.delete()
        batch: list[dict] = []
        chunks = [None] if ids is None else [ids[n : n + BATCH] for n in range(0, len(ids), BATCH)]
        for chunk in chunks:
            for row in _questions(chunk):
                batch.append(row)
                if len(batch) == BATCH:
                    written += _write(batch, staff, days)
                    batch = []
        if batch:
            written += _write(batch, staff, days)
        days.discard(None)
        refresh_days(None if ids is None else days)
    return written


def _write(rows: list[dict], staff: StaffHistory, days: set[date]) -> int:
    facts = _facts(rows, staff)
    for fact in facts:
        days.update((fact.asked_on, fact.solved_on))
    return len(QuestionFact.objects.bulk_create(facts))


def _chunks(days: list[date]) -> list[list[date]]:
    return [days[n : n + 500] for n in range(0, len(days), 500)]


def _day_row(day: date, category: int) -> SupportDay:
    return SupportDay(day=day, category_id=category, first_response_buckets=[], solution_buckets=[])


def _histogram() -> list[int]:
    return [0] * len(EDGES)


def _trimmed(counts: list[int]) -> list[int]:
    """Trailing empty buckets left off: most durations are short, so rows stay small."""
    end = len(counts)
    while end and not counts[end - 1]:
        end -= 1
    return counts[:end]


def refresh_days(days: Iterable[date] | None = None) -> int:
    """Recompute the SupportDay rows of the given UTC days (all when None) from the
    facts: a day's questions asked and solved, per category; deleted questions left
    out. Returns how many rows were written."""
    wanted = None if days is None else sorted(set(days))
    if wanted == []:
        return 0
    rows: dict[tuple[date, int], SupportDay] = {}
    first: dict[tuple[date, int], list[int]] = defaultdict(_histogram)
    solution: dict[tuple[date, int], list[int]] = defaultdict(_histogram)
    fields = (
        "category_id",
        "asked_on",
        "solved_on",
        "first_response_seconds",
        "first_responder_staff",
        "solution_seconds",
        "solver_staff",
    )
    with transaction.atomic():
        chunks = [None] if wanted is None else _chunks(wanted)
        for chunk in chunks:
            facts = QuestionFact.objects.filter(deleted=False)
            if chunk is None:
                SupportDay.objects.all().delete()
            else:
                SupportDay.objects.filter(day__in=chunk).delete()
                facts = facts.filter(Q(asked_on__in=chunk) | Q(solved_on__in=chunk))
            in_chunk = None if chunk is None else set(chunk)
            for category, asked_on, solved_on, first_s, first_staff, solution_s, solver_staff in (
                facts.order_by().values_list(*fields).iterator(chunk_size=BATCH)
            ):
                if in_chunk is None or asked_on in in_chunk:
                    key = (asked_on, category)
                    row = rows.get(key) or rows.setdefault(key, _day_row(*key))
                    row.asked += 1
                    if first_s is not None:
                        row.answered += 1
                        row.first_by_staff += bool(first_staff)
                        first[key][bucket(first_s)] += 1
                    if solution_s is not None:
                        row.solved += 1
                        row.solved_by_staff += bool(solver_staff)
                        solution[key][bucket(solution_s)] += 1
                if solved_on is not None and (in_chunk is None or solved_on in in_chunk):
                    key = (solved_on, category)
                    row = rows.get(key) or rows.setdefault(key, _day_row(*key))
                    row.solved_that_day += 1
        for key, row in rows.items():
            row.first_response_buckets = _trimmed(first.get(key, []))
            row.solution_buckets = _trimmed(solution.get(key, []))
        SupportDay.objects.bulk_create(rows.values(), batch_size=BATCH)
        refresh_months(None if wanted is None else {day.replace(day=1) for day in wanted})
    return len(rows)


def refresh_months(months: Iterable[date] | None = None) -> int:
    """Recompute the SupportMonth rows of the given months (their first days; all when
    None) by adding up their SupportDay rows. Returns how many rows were written."""
    wanted = None if months is None else sorted(set(months))
    if wanted == []:
        return 0
    days = SupportDay.objects.filter(asked__gt=0)
    if wanted is None:
        SupportMonth.objects.all().delete()
    else:
        SupportMonth.objects.filter(month__in=wanted).delete()
        first, last = wanted[0], wanted[-1]
        days = days.filter(day__gte=first, day__lt=next_month(last))
    keep = None if wanted is None else set(wanted)
    rows: dict[tuple[date, int], SupportMonth] = {}
    fields = ("day", "category_id", *COUNTS, "first_response_buckets", "solution_buckets")
    for day, category, *counts, first_buckets, solution_buckets in (
        days.order_by().values_list(*fields).iterator(chunk_size=BATCH)
    ):
        month = day.replace(day=1)
        if keep is not None and month not in keep:
            continue
        row = rows.get((month, category))
        if row is None:
            row = rows[(month, category)] = SupportMonth(
                month=month, category_id=category, first_response_buckets=[], solution_buckets=[]
            )
        for name, count in zip(COUNTS, counts, strict=True):
            setattr(row, name, getattr(row, name) + count)
        add_buckets(row.first_response_buckets, first_buckets)
        add_buckets(row.solution_buckets, solution_buckets)
    SupportMonth.objects.bulk_create(rows.values(), batch_size=BATCH)
    return len(rows)


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
