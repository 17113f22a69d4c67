"""The digest: a daily or weekly mail, at the member's local morning, with what happened
since they last heard from us or last visited (docs/digest.md).

- ``sweep`` (the periodic job ``tasks.send_digests``, every half hour) finds the members
  whose digest is due — local digest hour come within the last LATENESS, and no digest
  in the last period (a day or a week, less MARGIN) — in one query whatever their
  number, and queues ``tasks.send_digest_batch`` for every CHUNK_SIZE of them.
- ``send_batch`` (that job) locks the batch's ``MailSettings`` rows, checks again who is
  due (a redelivered job, or a twin queued by an overlapping sweep, finds nobody), builds
  every digest of the batch in a fixed number of queries (``build``), queues the mails
  and sets ``digest_sent_at`` — in one transaction, so the mails leave only if the batch
  is recorded as done, and a retried batch starts over cleanly.

``digest_sent_at`` means "the digest was last due and handled": it is set for every
member checked, mailed or not (nothing new, visited since, bouncing, the mail could not be
built), so a member is looked at once per period, not every half hour.

What a digest holds, each part only with what is newer than ``since`` (the last digest or
the last visit, whichever is later, and at most one period back):

- popular topics the member may see (``permissions.visible_topics`` rules), by score,
  not their own, without muted categories, tags, topics, groups and authors;
- unanswered questions (Q&A categories, no reply yet) tagged with the member's expertise;
- new members of the groups they belong to (not muted groups, not muted members);
- notifications they sent to "In the digest", unread and not yet mailed, still visible.

A member with nothing in any part gets no mail.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import F, Q, QuerySet, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone

from townsquare.accounts.models import Profile, User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.core.queries import get_community
from townsquare.forum.models import (
    CategoryKind,
    CategoryNotificationSetting,
    NotificationLevel,
    Post,
    TagNotificationSetting,
    Topic,
    TopicReadState,
    TopicTag,
)
from townsquare.groups.models import Group, GroupMembership
from townsquare.notifications import email, mailing, queries
from townsquare.notifications.models import (
    Channel,
    DigestFrequency,
    GroupNotificationSetting,
    MailOutcome,
    MailSettings,
    MemberMute,
    Notification,
    Stream,
)

logger = logging.getLogger(__name__)

TEMPLATE = "notifications/email/digest"
#: Members per ``send_digest_batch`` job.
CHUNK_SIZE = 200
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
#: A digest is due again once the last one is older than its period less this margin, so a
#: digest sent at 07:20 does not push the next one a day (or a week) past 07:00, and a
#: member who moves their hour from 7 to 8 does not get two on the same day.
MARGIN = timedelta(hours=12)
#: How long after the member's local hour the digest may still go out. When the scheduler
#: was down for longer, it waits for the next morning rather than arrive at night.
LATENESS = timedelta(hours=3)
#: Lines per part of a digest.
TOPICS = 5
QUESTIONS = 5
GROUP_NAMES = 5
NOTIFICATIONS = 20
#: Candidates read for a whole batch, best first; each member's part is chosen from them.
POOL = 300
#: Newest joins read per group (more are counted as "and more").
JOINS_PER_GROUP = 50
EXCERPT_LENGTH = 200

# --- When: the member's local morning -----------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def slot(now: datetime, zone: str, hour: int) -> datetime:
    """The latest moment, not after ``now``, when it was ``hour``:00 in ``zone``."""
    tz = _zone(zone)
    local = now.astimezone(tz)
    day = local.date()
    at = datetime(day.year, day.month, day.day, hour % 24, tzinfo=tz)
    if at > local:
        day -= timedelta(days=1)
        at = datetime(day.year, day.month, day.day, hour % 24, tzinfo=tz)
    return at.astimezone(UTC)


def _sent_before(frequency: str, at: datetime) -> datetime:
    """A digest is due at ``at`` when the last one went out before this."""
    return at - PERIODS[frequency] + MARGIN


def is_due(settings: MailSettings, zone: str, now: datetime) -> bool:
    """Whether the member's digest is due at ``now`` (the rule ``due_members`` applies)."""
    if settings.digest not in PERIODS:
        return False
    at = slot(now, zone, settings.digest_hour)
    if now - at >= LATENESS:
        return False
    last = settings.digest_sent_at
    return last is None or last < _sent_before(settings.digest, at)


def _due_filter(zones: Iterable[str], now: datetime) -> Q:
    """One condition for every time zone: the hours whose slot fell in the last LATENESS,
    and for each the last digest that makes a daily or weekly member due. Zones that give
    the same slots now are merged, so the condition has one branch per UTC offset in use."""
    hours = int(LATENESS.total_seconds() // 3600) + 1
    by_slots: dict[tuple, list[str]] = {}
    for zone in zones:
        local_hour = now.astimezone(_zone(zone)).hour
        slots = []
        for back in range(hours):
            hour = (local_hour - back) % 24
            at = slot(now, zone, hour)
            if now - at < LATENESS:
                slots.append((hour, at))
        by_slots.setdefault(tuple(slots), []).append(zone)
    condition = Q(pk__in=[])
    for slots, names in by_slots.items():
        hours_q = Q(pk__in=[])
        for hour, at in slots:
            last = Q(sent__isnull=True)
            for frequency in PERIODS:
                last |= Q(frequency=frequency, sent__lt=_sent_before(frequency, at))
            hours_q |= Q(hour=hour) & last
        condition |= Q(timezone__in=names) & hours_q
    return condition


def _members() -> QuerySet[User]:
    """Active members (email confirmed, guidelines accepted) with an address."""
    return User.objects.filter(is_active=True, guidelines_version__isnull=False).exclude(email="")


def due_members(now: datetime | None = None) -> list[int]:
    """Ids of the members whose digest is due, in order: two queries (the time zones in
    use, then the members), whatever their number. Members without mail settings have the
    defaults (weekly, at 7)."""
    now = now or timezone.now()
    zones = list(_members().order_by().values_list("timezone", flat=True).distinct())
    if not zones:
        return []
    return list(
        _members()
        .annotate(
            frequency=Coalesce("mail_settings__digest", Value(DigestFrequency.WEEKLY)),
            hour=Coalesce("mail_settings__digest_hour", Value(7)),
            sent=F("mail_settings__digest_sent_at"),
        )
        .filter(frequency__in=list(PERIODS))
        .filter(_due_filter(zones, now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sweep(enqueue: Callable[[list[int]], object], now: datetime | None = None) -> int:
    """Hand the members whose digest is due to ``enqueue`` in chunks; returns how many.
    A member queued twice is mailed once: the batch checks again under a lock."""
    ids = due_members(now)
    for chunk in mailing.chunks(ids, CHUNK_SIZE):
        enqueue(chunk)
    return len(ids)


# --- What: building the digests of a batch -----------------------------------------------


@dataclass
class DigestTopic:
    title: str
    url: str
    category: str
    replies: int
    topic_id: int
    excerpt: str = ""


@dataclass
class DigestGroup:
    name: str
    url: str
    names: list[str]
    more: int

    @property
    def joined(self) -> str:
        return ", ".join(self.names)


@dataclass
class Digest:
    since: datetime
    topics: list[DigestTopic] = field(default_factory=list)
    questions: list[DigestTopic] = field(default_factory=list)
    groups: list[DigestGroup] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    hidden: list[Notification] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.topics or self.questions or self.groups or self.notifications)


def since(user: User, settings: MailSettings, now: datetime) -> datetime:
    """What is newer than this goes in: the last digest or visit, at most a period back."""
    period = PERIODS.get(settings.digest, PERIODS[DigestFrequency.WEEKLY])
    moments = [now - period, settings.digest_sent_at, user.last_seen_at]
    return max(moment for moment in moments if moment is not None)


@dataclass
class _Mutes:
    members: set[int] = field(default_factory=set)
    categories: set[int] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    topics: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)


def _mutes(user_ids: list[int], topic_ids: set[int]) -> dict[int, _Mutes]:
    """Everything the batch's members muted that could reach a digest: five queries."""
    mutes = {user_id: _Mutes() for user_id in user_ids}
    muted = NotificationLevel.MUTED
    for user_id, other in MemberMute.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "muted_id"
    ):
        mutes[user_id].members.add(other)
    for user_id, category_id in CategoryNotificationSetting.objects.filter(
        user_id__in=user_ids, level=muted
    ).values_list("user_id", "category_id"):
        mutes[user_id].categories.add(category_id)
    for user_id, name in TagNotificationSetting.objects.filter(
        user_id__in=user_ids, level=muted
    ).values_list("user_id", "tag__name"):
        mutes[user_id].tags.add(name)
    if topic_ids:
        for user_id, topic_id in TopicReadState.objects.filter(
            user_id__in=user_ids, topic_id__in=topic_ids, notification_level=muted
        ).values_list("user_id", "topic_id"):
            mutes[user_id].topics.add(topic_id)
    for user_id, group_id, category_id in GroupNotificationSetting.objects.filter(
        user_id__in=user_ids, level=muted
    ).values_list("user_id", "group_id", "group__category_id"):
        mutes[user_id].groups.add(group_id)
        if category_id is not None:
            mutes[user_id].categories.add(category_id)
    return mutes


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _shown(
    topic: Topic, user: User, visible: frozenset[int], start: datetime, mutes: _Mutes, tags
) -> bool:
    category = topic.category
    return (
        topic.category_id in visible
        and topic.created_at > start
        and topic.author_id != user.pk
        and category.pk not in mutes.categories
        and (category.parent_id is None or category.parent_id not in mutes.categories)
        and topic.pk not in mutes.topics
        and (topic.is_anonymous or topic.author_id not in mutes.members)
        and not (tags.get(topic.pk, set()) & mutes.tags)
    )


def build(
    users: list[User], settings: dict[int, MailSettings], community: Community, now: datetime
) -> dict[int, Digest]:
    """Every digest of a batch, in about fifteen queries whatever the batch's size: the
    permission policy is primed for all its members (``prime_forum_access``), candidates
    are read once for the batch and chosen from per member."""
    if not users:
        return {}
    ids = [user.pk for user in users]
    starts = {user.pk: since(user, settings[user.pk], now) for user in users}
    earliest = min(starts.values())
    permissions.prime_forum_access(users, community)
    visible = {user.pk: permissions.visible_category_ids(user, community) for user in users}
    readable = set().union(*visible.values())
    # Hidden topics are left out for everyone, staff too: a digest recommends reading.
    listed = Topic.objects.filter(
        category_id__in=readable,
        deleted_at__isnull=True,
        is_listed=True,
        hidden_at__isnull=True,
        created_at__gt=earliest,
    ).select_related("category")

    popular = list(listed.order_by("-score", "-id")[:POOL])
    expertise: dict[int, set[str]] = {}
    for user_id, name in Profile.expertise.through.objects.filter(
        profile__user_id__in=ids
    ).values_list("profile__user_id", "expertisetag__name"):
        expertise.setdefault(user_id, set()).add(name)
    wanted = set().union(*expertise.values()) if expertise else set()
    questions: list[Topic] = []
    if wanted:
        questions = list(
            listed.filter(
                category__kind=CategoryKind.QA,
                reply_count=0,
                accepted_post__isnull=True,
                pk__in=TopicTag.objects.filter(tag__name__in=wanted).values("topic_id"),
            ).order_by("-created_at", "-id")[:POOL]
        )
    topic_ids = {topic.pk for topic in popular} | {topic.pk for topic in questions}
    tags: dict[int, set[str]] = {}
    if topic_ids:
        for topic_id, name in TopicTag.objects.filter(topic_id__in=topic_ids).values_list(
            "topic_id", "tag__name"
        ):
            tags.setdefault(topic_id, set()).add(name)
    mutes = _mutes(ids, topic_ids)

    # New members of the batch's groups: the newest JOINS_PER_GROUP joins of each group.
    groups_of: dict[int, set[int]] = {}
    for user_id, group_id in GroupMembership.objects.filter(user_id__in=ids).values_list(
        "user_id", "group_id"
    ):
        groups_of.setdefault(user_id, set()).add(group_id)
    all_groups = set().union(*groups_of.values()) if groups_of else set()
    joins: dict[int, list[GroupMembership]] = {}
    group_by_id: dict[int, Group] = {}
    if all_groups:
        newest = (
            GroupMembership.objects.filter(
                group_id__in=all_groups,
                created_at__gt=earliest,
                user__is_active=True,
                user__guidelines_version__isnull=False,
            )
            .annotate(
                rank=Window(
                    RowNumber(), partition_by=[F("group_id")], order_by=F("created_at").desc()
                )
            )
            .filter(rank__lte=JOINS_PER_GROUP)
            .select_related("user", "group")
            .order_by("group_id", "-created_at")
        )
        for membership in newest:
            joins.setdefault(membership.group_id, []).append(membership)
            group_by_id[membership.group_id] = membership.group

    notes: dict[int, list[Notification]] = {}
    for note in (
        Notification.objects.filter(
            recipient_id__in=ids,
            channel=Channel.DIGEST,
            emailed_at__isnull=True,
            read_at__isnull=True,
            created_at__gt=earliest,
        )
        .select_related("actor", "topic", "post", "group", "event")
        .order_by("-created_at", "-pk")
    ):
        notes.setdefault(note.recipient_id, []).append(note)

    excerpts_for: set[int] = set()
    digests = {}
    for user in users:
        start, seen, muted = starts[user.pk], visible[user.pk], mutes[user.pk]
        digest = Digest(since=start)
        mine = expertise.get(user.pk, set())
        asked = [
            topic
            for topic in questions
            if tags.get(topic.pk, set()) & mine and _shown(topic, user, seen, start, muted, tags)
        ][:QUESTIONS]
        asked_ids = {topic.pk for topic in asked}
        top = [
            topic
            for topic in popular
            if topic.pk not in asked_ids and _shown(topic, user, seen, start, muted, tags)
        ][:TOPICS]
        digest.questions = [_line(topic) for topic in asked]
        digest.topics = [_line(topic) for topic in top]
        excerpts_for.update(topic.pk for topic in top)
        for group_id in sorted(
            groups_of.get(user.pk, set()) - muted.groups,
            key=lambda pk: group_by_id[pk].name if pk in group_by_id else "",
        ):
            names = [
                membership.user.display_name
                for membership in joins.get(group_id, [])
                if membership.created_at > start
                and membership.user_id != user.pk
                and membership.user_id not in muted.members
            ]
            if names:
                group = group_by_id[group_id]
                digest.groups.append(
                    DigestGroup(
                        name=group.name,
                        url=email.absolute(group.get_absolute_url()),
                        names=names[:GROUP_NAMES],
                        more=len(names) - GROUP_NAMES if len(names) > GROUP_NAMES else 0,
                    )
                )
        fresh = [note for note in notes.get(user.pk, []) if note.created_at > start]
        if fresh:
            shown = queries.visible_now(user, community, fresh)
            shown_ids = {note.pk for note in shown}
            digest.notifications = shown[:NOTIFICATIONS]
            digest.hidden = [note for note in fresh if note.pk not in shown_ids]
        digests[user.pk] = digest

    if excerpts_for:
        first_posts = dict(
            Post.objects.filter(
                topic_id__in=excerpts_for, number=1, deleted_at__isnull=True, hidden_at__isnull=True
            ).values_list("topic_id", "text")
        )
        for digest in digests.values():
            for line in digest.topics:
                line.excerpt = _excerpt(first_posts.get(line.topic_id, ""))
    return digests


def _line(topic: Topic) -> DigestTopic:
    return DigestTopic(
        title=topic.title,
        url=email.absolute(topic.get_absolute_url()),
        category=topic.category.name,
        replies=topic.reply_count,
        topic_id=topic.pk,
    )


# --- Sending a batch ----------------------------------------------------------------------


def compose(
    user: User, digest: Digest, frequency: str, community: Community
) -> EmailMultiAlternatives:
    entries = mailing.member_entries(user, digest.notifications)
    return email.compose(
        user,
        TEMPLATE,
        {
            "digest": digest,
            "weekly": frequency == DigestFrequency.WEEKLY,
            "entries": entries,
            "latest_url": email.absolute(reverse("forum:latest")),
            "digest_settings_url": email.absolute(reverse("notifications:mail_settings")),
        },
        stream=Stream.DIGEST,
        community=community,
    )


def _finish(items: Iterable[Notification], outcome: str, now: datetime) -> None:
    ids = [item.pk for item in items]
    if ids:
        Notification.objects.filter(pk__in=ids).update(emailed_at=now, email_outcome=outcome)


def send_batch(user_ids: Iterable[int], now: datetime | None = None) -> int:
    """Mail the digest of every member of the batch who is still due (the job
    ``send_digest_batch``); returns how many mails were handed over.

    Two steps. First, without holding any lock, who looks due, their digests and their
    mails — the slow part, which workers then do side by side even on SQLite, where a
    write transaction locks the whole file. Then one short transaction locks the members'
    settings rows in id order, checks again who is still due (a twin of this job that got
    there first has set ``digest_sent_at``: its members are dropped, their mails thrown
    away unsent), records the outcome and hands the mails over; they leave on commit."""
    now = now or timezone.now()
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    community = get_community()
    rows = {row.user_id: row for row in MailSettings.objects.filter(user_id__in=ids)}
    users = list(_members().filter(pk__in=ids).order_by("pk"))
    for user in users:
        rows.setdefault(user.pk, MailSettings(user_id=user.pk))
    due = [user for user in users if is_due(rows[user.pk], user.timezone, now)]
    if not due:
        return 0
    reachable = email.mailable(due, Stream.DIGEST)
    digests = build(reachable, rows, community, now)
    messages: dict[int, EmailMultiAlternatives] = {}
    failed: set[int] = set()
    for user in reachable:
        digest = digests[user.pk]
        if not digest:
            continue
        try:
            validate_email(user.email)  # Django would pass "bad@@example" to the mail server
            messages[user.pk] = compose(user, digest, rows[user.pk].digest, community)
        except DatabaseError:
            raise  # the job retries the batch
        except Exception as error:  # a template error, an invalid address: this mail only
            logger.error(
                "Digest to member %s failed and will not be retried before the next one: %s: %s",
                user.pk,
                type(error).__name__,
                error,
            )
            failed.add(user.pk)
    return _record(due, reachable, digests, messages, failed, now)


@transaction.atomic
def _record(
    due: list[User],
    reachable: list[User],
    digests: dict[int, Digest],
    messages: dict[int, EmailMultiAlternatives],
    failed: set[int],
    now: datetime,
) -> int:
    """Under the lock: keep the members still due, record what was done, hand over."""
    MailSettings.objects.bulk_create(
        [MailSettings(user_id=user.pk) for user in due], ignore_conflicts=True
    )  # members without settings have the defaults; now they have a row to lock
    locked = {
        row.user_id: row
        for row in MailSettings.objects.select_for_update()
        .filter(user_id__in=[user.pk for user in due])
        .order_by("user_id")
    }
    still = {user.pk for user in due if is_due(locked[user.pk], user.timezone, now)}
    if not still:
        return 0
    unreachable = still - {user.pk for user in reachable}
    if unreachable:  # bouncing, or unsubscribed since the sweep: their rows are done with
        Notification.objects.filter(
            recipient_id__in=unreachable, channel=Channel.DIGEST, emailed_at__isnull=True
        ).update(emailed_at=now, email_outcome=MailOutcome.SKIPPED)
    handled: dict[str, list[Notification]] = {outcome: [] for outcome in MailOutcome.values}
    for user_id, digest in digests.items():
        if user_id not in still:
            continue
        handled[MailOutcome.HIDDEN] += digest.hidden
        if user_id in messages:
            handled[MailOutcome.SENT] += digest.notifications
        elif user_id in failed:
            handled[MailOutcome.FAILED] += digest.notifications
    for outcome, items in handled.items():
        _finish(items, outcome, now)
    sending = [message for user_id, message in messages.items() if user_id in still]
    if sending:
        with mail.get_connection() as connection:
            connection.send_messages(sending)  # queued: they leave when this commits
    MailSettings.objects.filter(user_id__in=still).update(digest_sent_at=now)
    return len(sending)
