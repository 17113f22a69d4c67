"""Events metrics, read from the events aggregates (``EventFact``, ``EventAttendee``,
kept by ``analytics.events_rollup``), never from the raw log. Definitions in
docs/metrics.md, "Events".

- An event counts in a period when it finished (was held, not cancelled) and ended on
  one of the period's UTC days.
- Going: members whose last answer was "going" (a promotion from the waiting list
  included), or who were checked in whatever they answered; attended: checked in.
"""

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.analytics.models import EventAttendee, EventFact
from townsquare.analytics.periods import Period, Row, Value
from townsquare.surveys.models import Kind, SurveyAnswer

MOST_ENGAGED = 10
#: Attended this many events of a period or more: a repeat attendee.
REPEAT_MIN = 2

#: key, label, definition, percent: the events metrics (analytics.metrics registers them).
FIGURES = [
    ("events_held", _("Events held"), _("Events that finished in the period (ended on one of its days, not cancelled)."), False),  # noqa: E501
    ("event_rsvps", _("RSVPs"), _("“Going” answers given in the period: each member counted once per event, on the day they first answered going (a promotion from the waiting list counts)."), False),  # noqa: E501
    ("attendance_rate", _("Attendance rate"), _("Of the events held in the period: members checked in ÷ members going (last answer “going”, or checked in anyway) × 100."), True),  # noqa: E501
    ("no_shows", _("No-shows"), _("Of the events held in the period: members whose last answer was “going” who were not checked in."), False),  # noqa: E501
    ("repeat_attendees", _("Repeat attendees"), _("Members checked in at 2 or more of the events held in the period."), False),  # noqa: E501
]  # fmt: skip


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


@dataclass
class Figures:
    """A period's events figures, per day and in total."""

    held: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    going: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    attended: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    rsvps: dict[date, int] = field(default_factory=dict)
    repeat: int = 0

    def value(self, key: str, period: Period) -> Value:
        days = period.dates()
        if key == "repeat_attendees":
            return Value(total=self.repeat)
        if key == "attendance_rate":
            series = [(d, _percent(self.attended[d], self.going[d])) for d in days]
            total = _percent(sum(self.attended.values()), sum(self.going.values()))
            return Value(series, total)
        if key == "no_shows":
            series = [(d, self.going[d] - self.attended[d]) for d in days]
        else:
            daily = self.held if key == "events_held" else self.rsvps
            series = [(d, daily.get(d, 0)) for d in days]
        return Value(series, sum(v for _d, v in series))


def _held(period: Period) -> dict:
    return {"held": True, "held_on__range": (period.start, period.end)}


def figures(period: Period) -> Figures:
    """The period's figures in three queries."""
    found = Figures()
    for day, going, attended in EventFact.objects.filter(**_held(period)).values_list(
        "held_on", "going", "attended"
    ):
        found.held[day] += 1
        found.going[day] += going
        found.attended[day] += attended
    found.rsvps = dict(
        EventAttendee.objects.filter(going_on__range=(period.start, period.end))
        .order_by()
        .values_list("going_on")
        .annotate(n=Count("id"))
    )
    found.repeat = (
        EventAttendee.objects.filter(attended=True, **_held(period))
        .order_by()
        .values("member_id")
        .annotate(n=Count("id"))
        .filter(n__gte=REPEAT_MIN)
        .count()
    )
    return found


def computer(key: str) -> Callable[[Period, Collection[int] | None], Value]:
    """The ``compute`` of one events metric: events have no category, so a filtered
    question answers None."""

    def compute(period: Period, categories: Collection[int] | None) -> Value:
        if categories is not None:
            return Value()
        return figures(period).value(key, period)

    return compute


def summary(period: Period) -> list[Row]:
    """The headline table: each metric now and in the previous period."""
    now, before = figures(period), figures(period.previous())
    previous = period.previous()
    return [
        Row(
            str(label),
            now.value(key, period).total,
            before.value(key, previous).total,
            str(definition),
            percent,
            key,
        )
        for key, label, definition, percent in FIGURES
    ]


@dataclass
class EventLine:
    """A line of the per-event table."""

    event_id: int
    title: str
    starts_at: object
    going: int
    attended: int
    feedback: float | None

    @property
    def no_shows(self) -> int:
        return self.going - self.attended


def held_events(period: Period) -> list[EventLine]:
    """The events held in the period, in the order they took place, each with its
    feedback (mean of the 1–5 ratings answered about it), in two queries."""
    facts = list(EventFact.objects.filter(**_held(period)).order_by("starts_at", "event_id"))
    contexts = [f"event:{fact.event_id}" for fact in facts]
    feedback = dict(
        SurveyAnswer.objects.filter(kind=Kind.CSAT, context__in=contexts, score__isnull=False)
        .order_by()
        .values_list("context")
        .annotate(mean=Avg("score"))
    )
    lines = []
    for fact in facts:
        mean = feedback.get(f"event:{fact.event_id}")
        lines.append(
            EventLine(
                fact.event_id,
                fact.title,
                fact.starts_at,
                fact.going,
                fact.attended,
                None if mean is None else round(float(mean), 2),
            )
        )
    return lines


@dataclass
class Attendee:
    member: User | None
    member_id: int
    attended: int


def most_engaged(period: Period, limit: int = MOST_ENGAGED) -> list[Attendee]:
    """The members checked in at the most events held in the period (ties: the earlier
    member first), in two queries."""
    top = list(
        EventAttendee.objects.filter(attended=True, **_held(period))
        .order_by()
        .values_list("member_id")
        .annotate(n=Count("id"))
        .order_by("-n", "member_id")[:limit]
    )
    members = User.objects.in_bulk([member for member, _n in top])
    return [Attendee(members.get(member), member, n) for member, n in top]
