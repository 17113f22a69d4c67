"""The demo community's events (``townsquare demo``): a weekly Friday community session
with its past occurrences held (attendees checked in, a recording each, some feedback)
and the next ones open with answers; a monthly AMA with a guest host; a hybrid meetup
with a venue, a video link, a capacity and a waiting list. Loaded once (nothing when the
session exists), the same every time (a fixed random seed)."""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.analytics.satisfaction_demo import KEEP_UNASKED
from townsquare.core import activity
from townsquare.events import actions, imports, registrations
from townsquare.events import series as series_actions
from townsquare.events.models import Event, EventFormat, EventStatus, ResourceKind
from townsquare.surveys import actions as survey_actions

SESSION = "Weekly community session"
AMA = "Ask me anything: the product roadmap"
MEETUP = "Townsquare meetup in Warsaw"
WARSAW = "Europe/Warsaw"
#: Past Fridays held.
PAST_WEEKS = 8
SEED = 8


#: The earliest members attend: the demo's people, not the readers of the history.
MEMBERS = 40


def _members() -> list[User]:
    # The demo's own member@ account stays free, so whoever tries the demo can answer,
    # join the waiting list and rate a session themselves.
    members = User.objects.filter(role=Role.MEMBER, is_active=True).exclude(handle__in=KEEP_UNASKED)
    return list(members.order_by("pk")[:MEMBERS])


def _friday_weeks_ago(now: datetime, weeks: int) -> datetime:
    local = now.astimezone(ZoneInfo(WARSAW))
    friday = local.date() - timedelta(days=(local.weekday() - 4) % 7 + 7 * weeks)
    return datetime.combine(friday, time(16), tzinfo=ZoneInfo(WARSAW)).astimezone(UTC)


def _days_ahead(now: datetime, days: int, hour: int) -> datetime:
    """``hour`` o'clock in Warsaw, ``days`` days from now."""
    day = (now + timedelta(days=days)).astimezone(ZoneInfo(WARSAW)).date()
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(WARSAW))


def _answer(members: list[User], event: Event) -> int:
    """Members answer going (a full event puts the last ones on its waiting list)."""
    for member in members:
        registrations.rsvp(member, event, "going", show_me=True)
    return len(members)


def _repeating(
    host: User, repeat: str, title: str, description: str, start: datetime, room: str, **more
) -> Event:
    """A repeating online hour in Warsaw time, hosted by ``host``, as a draft."""
    return series_actions.create_event(
        None,
        repeat=repeat,
        created_by=host,
        title=title,
        description=description,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        timezone=WARSAW,
        video_url=f"https://meet.example.com/{room}",
        hosts=[host],
        **more,
    )


def _session(host: User, members: list[User], rng: random.Random, now: datetime) -> dict:
    first = _friday_weeks_ago(now, PAST_WEEKS)
    with activity.as_of(first - timedelta(days=7)):
        template = _repeating(
            host,
            series_actions.WEEKLY,
            SESSION,
            "Our weekly hour together: news from the team, a member's demo, and your "
            "questions. Everyone is welcome.",
            first,
            "townsquare-weekly",
        )
    imports.import_past_occurrences(template.series, now)
    occurrences = list(template.series.occurrences.order_by("recurrence_id"))
    held = [event for event in occurrences if event.ends_at <= now]
    attendees = ratings = 0
    for event in held:
        going = rng.sample(members, min(len(members), rng.randint(9, 16)))
        came = {member.pk for member in going if rng.random() < 0.75}
        day = f"{event.starts_at:%Y-%m-%d}"
        imports.import_past_event(
            event,
            going=going,
            attended=came,
            resources=[
                (
                    ResourceKind.RECORDING,
                    f"Recording of the session of {day}",
                    f"https://video.example.com/townsquare-weekly/{day}",
                )
            ],
        )
        attendees += len(came)
        for member in going:
            if member.pk in came and rng.random() < 0.4:
                score = rng.choice((5, 5, 4, 4, 4, 3))
                survey_actions.answer(
                    None, "csat", score, member=member, context=f"event:{event.pk}",
                    at=event.ends_at + timedelta(hours=2),
                )  # fmt: skip
                ratings += 1
    upcoming = [event for event in occurrences if event.ends_at > now]
    answers = 0
    if upcoming:
        series_actions.publish_event(None, upcoming[0])
        for event in upcoming[:2]:
            answers += _answer(rng.sample(members, min(len(members), 10)), event)
    return {"held": len(held), "attendees": attendees, "ratings": ratings, "answers": answers}


def _ama(host: User, members: list[User], rng: random.Random, now: datetime) -> int:
    start = _days_ahead(now, 12, 17)
    event = _repeating(
        host,
        series_actions.MONTHLY_WEEKDAY,
        AMA,
        "Anna answers your questions about what we are building next. Post them in the "
        "thread beforehand, or ask live.",
        start,
        "townsquare-ama",
        guests=[("Anna Nowak", "Head of Product")],
    )
    series_actions.publish_event(None, event)
    return _answer(rng.sample(members, min(len(members), 12)), event)


def _meetup(host: User, members: list[User], rng: random.Random, now: datetime) -> int:
    start = _days_ahead(now, 24, 18)
    event = actions.create_event(
        None,
        created_by=host,
        title=MEETUP,
        description="An evening of short talks and conversation, in the café and online. "
        "Places in the room are limited: when it is full, you join the waiting list.",
        starts_at=start,
        ends_at=start + timedelta(hours=2, minutes=30),
        timezone=WARSAW,
        format=EventFormat.HYBRID,
        venue="Kawiarnia Fabryczna",
        address="ul. Ząbkowska 27/31, 03-736 Warszawa",
        video_url="https://meet.example.com/townsquare-meetup",
        capacity=8,
        questions=[("What would you like to talk about?", False)],
    )
    actions.publish_event(None, event)
    return _answer(rng.sample(members, min(len(members), 11)), event)


def load() -> dict[str, int]:
    """Load the demo events once (nothing when the session exists, or without a manager
    and members to attend)."""
    if Event.objects.filter(title=SESSION).exists():
        return {}
    host = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    members = _members()
    if host is None or len(members) < 16:
        return {}
    rng = random.Random(SEED)
    now = timezone.now()
    found = _session(host, members, rng, now)
    found["ama"] = _ama(host, members, rng, now)
    found["meetup"] = _meetup(host, members, rng, now)
    found["events"] = Event.objects.exclude(status=EventStatus.DRAFT).count()
    return found
