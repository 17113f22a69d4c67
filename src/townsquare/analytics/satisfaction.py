"""Satisfaction: NPS and CSAT from members' survey answers (townsquare.surveys).

Read from the answers table itself: it holds one row per member and prompt, so it stays
small (a member is asked about the community at most once every 90 days), and one
grouped query answers both periods. Definitions in docs/metrics.md, "Satisfaction".

- NPS: per cent promoters (9–10) minus per cent detractors (0–6) of the period's answers,
  each member's latest answer in the period counting once.
- CSAT: per cent of the period's 1–5 answers that are 4 or 5; every answer counts (a
  member rates each solved question once).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth
from django.utils.translation import gettext_lazy as _

from townsquare.analytics.periods import Period, Row
from townsquare.analytics.periods import Value as MetricValue
from townsquare.surveys.models import Kind, SurveyAnswer

PROMOTER_MIN = 9  # 9–10
DETRACTOR_MAX = 6  # 0–6; 7–8 are passives
SATISFIED_MIN = 4  # 4–5 of 1–5
TREND_MONTHS = 12
LATEST_COMMENTS = 20


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _span(period: Period) -> dict:
    return {
        "created_at__gte": _start(period.start),
        "created_at__lt": _start(period.end + timedelta(days=1)),
    }


@dataclass
class Counts:
    """The scored answers of one kind in one bucket (a period or a month)."""

    answers: int = 0
    high: int = 0  # promoters (NPS) or satisfied (CSAT)
    middle: int = 0  # passives (NPS)
    low: int = 0  # detractors (NPS) or not satisfied (CSAT)

    def _share(self, part: int) -> float:
        return round(100 * part / self.answers, 2) if self.answers else 0.0

    @property
    def nps(self) -> float | None:
        """Per cent promoters − per cent detractors, from −100 to 100; None without answers."""
        if not self.answers:
            return None
        return round(self._share(self.high) - self._share(self.low), 2)

    @property
    def csat(self) -> float | None:
        return self._share(self.high) if self.answers else None


def _counted(bucket: Case | TruncMonth, since: date, until: date) -> dict[tuple, Counts]:
    """The scored answers of the days ``since``..``until`` by kind and by ``bucket`` (a
    period's name, or a month; None leaves a row out), each NPS member's latest answer in
    a bucket counting once: one grouped query."""
    latest = (
        SurveyAnswer.objects.filter(score__isnull=False, **_span(Period(since, until)))
        .annotate(bucket=bucket)
        .filter(bucket__isnull=False)
        .annotate(
            # An NPS answer stands for its member (a deleted member's rows, member empty,
            # each stand alone); a CSAT answer for itself.
            rank=Window(
                RowNumber(),
                partition_by=[
                    F("kind"),
                    F("bucket"),
                    Case(
                        When(kind=Kind.NPS, member__isnull=False, then=F("member_id")),
                        default=-F("id"),
                    ),
                ],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
    )
    promoter = Q(kind=Kind.NPS, score__gte=PROMOTER_MIN)
    passive = Q(kind=Kind.NPS, score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN)
    detractor = Q(kind=Kind.NPS, score__lte=DETRACTOR_MAX)
    # Django would group inside the window's subquery: group the chosen rows outside it.
    chosen = SurveyAnswer.objects.filter(pk__in=latest.values("pk")).annotate(bucket=bucket)
    rows = chosen.values("kind", "bucket").annotate(
        answers=Count("id"),
        high=Count("id", filter=promoter | Q(kind=Kind.CSAT, score__gte=SATISFIED_MIN)),
        middle=Count("id", filter=passive),
        low=Count("id", filter=detractor | Q(kind=Kind.CSAT, score__lt=SATISFIED_MIN)),
    )
    return {
        (row["kind"], row["bucket"]): Counts(row["answers"], row["high"], row["middle"], row["low"])
        for row in rows.order_by()
    }


def _periods(period: Period) -> Case:
    """ "now" for the period's answers, "then" for the previous period's."""
    previous = period.previous()
    return Case(
        When(_q(period), then=Value("now")),
        When(_q(previous), then=Value("then")),
        default=None,
        output_field=CharField(),
    )


def _q(period: Period) -> Q:
    return Q(**_span(period))


def counts(period: Period) -> dict[tuple[str, str], Counts]:
    """(kind, "now" or "then") -> the period's and the previous period's counts."""
    return _counted(_periods(period), period.previous().start, period.end)


def _value(kind: str, period: Period, categories: Collection[int] | None) -> MetricValue:
    if categories is not None:  # answers are about the community, not a category
        return MetricValue()
    found = _counted(Value("now", output_field=CharField()), period.start, period.end)
    figures = found.get((kind, "now"), Counts())
    return MetricValue(total=figures.nps if kind == Kind.NPS else figures.csat)


def nps(period: Period, categories: Collection[int] | None = None) -> MetricValue:
    """The period's NPS (``metrics.series``, the API); None without answers."""
    return _value(Kind.NPS, period, categories)


def csat(period: Period, categories: Collection[int] | None = None) -> MetricValue:
    """The period's CSAT in per cent (``metrics.series``, the API); None without answers."""
    return _value(Kind.CSAT, period, categories)


def responses(period: Period) -> dict[tuple[str, str, bool], int]:
    """(kind, "now"/"then", answered) -> rows, dismissals included, no member counted once:
    how many answered and how many said "not now", in one grouped query."""
    rows = (
        SurveyAnswer.objects.filter(**_span(Period(period.previous().start, period.end)))
        .annotate(
            bucket=_periods(period),
            answered=ExpressionWrapper(Q(score__isnull=False), output_field=BooleanField()),
        )
        .values("kind", "bucket", "answered")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(row["kind"], row["bucket"], bool(row["answered"])): row["n"] for row in rows}


def trend_months(period: Period) -> list[date]:
    """The months of the trend: the twelve ending with the period's last month, or the
    period's own months when it is longer."""
    last = period.end.replace(day=1)
    first = min(period.start.replace(day=1), _months_before(last, TREND_MONTHS - 1))
    months = [first]
    while months[-1] < last:
        months.append(_months_before(months[-1], -1))
    return months


def _months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def monthly(period: Period) -> list[tuple[date, Counts, Counts]]:
    """(month, NPS counts, CSAT counts) for each month of the trend, one grouped query;
    within a month each member's latest NPS answer counts once."""
    months = trend_months(period)
    end = _months_before(months[-1], -1) - timedelta(days=1)
    found = _counted(TruncMonth("created_at", tzinfo=UTC), months[0], end)
    by_month: dict[tuple[str, date], Counts] = {}
    for (kind, bucket), figures in found.items():
        month = bucket.date() if isinstance(bucket, datetime) else bucket
        by_month[kind, month] = figures
    return [
        (m, by_month.get((Kind.NPS, m), Counts()), by_month.get((Kind.CSAT, m), Counts()))
        for m in months
    ]


def latest_comments(period: Period, limit: int = LATEST_COMMENTS) -> list[SurveyAnswer]:
    """The period's newest answers that came with a comment, with their members."""
    return list(
        SurveyAnswer.objects.filter(score__isnull=False, **_span(period))
        .exclude(comment="")
        .select_related("member")
        .order_by("-created_at", "-id")[:limit]
    )


def rows(period: Period) -> dict[str, list[Row]]:
    """The page's figure tables for a period against the previous one (two queries)."""
    from townsquare.analytics.metrics import METRICS

    found = counts(period)
    answered = responses(period)

    def pair(kind: str) -> tuple[Counts, Counts]:
        return found.get((kind, "now"), Counts()), found.get((kind, "then"), Counts())

    (nps_now, nps_then), (csat_now, csat_then) = pair(Kind.NPS), pair(Kind.CSAT)

    def metric_row(key: str, now: float | None, then: float | None) -> Row:
        metric = METRICS[key]
        return Row(str(metric.label), now, then, str(metric.definition), metric.percent, key)

    def count_row(label: str, definition: str, kind: str, is_answer: bool) -> Row:
        return Row(
            label,
            answered.get((kind, "now", is_answer), 0),
            answered.get((kind, "then", is_answer), 0),
            definition,
        )

    summary = [
        metric_row("nps", nps_now.nps, nps_then.nps),
        metric_row("csat", csat_now.csat, csat_then.csat),
        count_row(
            str(_("Answers to the NPS question")),
            str(_("Scores given; every answer counts, even a member's second in a long period.")),
            Kind.NPS,
            True,
        ),
        count_row(
            str(_("“Not now” to the NPS question")),
            str(_("Times members closed the question without a score.")),
            Kind.NPS,
            False,
        ),
        count_row(
            str(_("CSAT answers")),
            str(_("Ratings of answers to solved questions (and, later, of events).")),
            Kind.CSAT,
            True,
        ),
    ]

    def share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 2) if whole else None

    groups = []
    for label, definition, attr in (
        (
            _("Promoters (9–10)"),
            _("Members whose latest answer in the period was 9 or 10."),
            "high",
        ),
        (_("Passives (7–8)"), _("Members whose latest answer in the period was 7 or 8."), "middle"),
        (_("Detractors (0–6)"), _("Members whose latest answer in the period was 0 to 6."), "low"),
    ):
        now, then = getattr(nps_now, attr), getattr(nps_then, attr)
        groups.append(Row(str(label), now, then, str(definition), False, f"{attr}_count"))
        groups.append(
            Row(
                str(_("%(group)s, share") % {"group": label}),
                share(now, nps_now.answers),
                share(then, nps_then.answers),
                str(_("The group's share of the members who answered, in per cent.")),
                True,
                f"{attr}_share",
            )
        )
    return {"summary": summary, "groups": groups}
