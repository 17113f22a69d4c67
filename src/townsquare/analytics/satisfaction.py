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

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
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


def _counted(bucket: Case | Value, since: date, until: date) -> dict[tuple, Counts]:
    """The scored answers of the days ``since``..``until`` by kind and by ``bucket`` (a
    period's or a month's number, which must be set for every answer of those days), each
    NPS member's latest answer in a bucket counting once: one grouped query."""
    # No "bucket is not null" filter: every caller's buckets cover since..until exactly,
    # and repeating the bucket's CASE in the WHERE clause cost a third evaluation a row.
    scored = SurveyAnswer.objects.filter(
        score__isnull=False, **_span(Period(since, until))
    ).annotate(bucket=bucket)
    stands_for_member = Q(kind=Kind.NPS, member__isnull=False)
    # A member's NPS answers: the latest in each bucket. Ranking only these rows, by
    # integer and timestamp keys, keeps the sort small.
    latest = (
        scored.filter(stands_for_member)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("bucket"), F("member_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .values("kind", "bucket", "score")
    )
    # Every other scored row stands alone: a CSAT answer, or an NPS answer whose member
    # was deleted (member empty).
    alone = scored.exclude(stands_for_member).values("kind", "bucket", "score")
    # Count the chosen rows straight from the subqueries. (Django's ORM would group inside
    # the window's subquery; joining the chosen ids back to the table with ``pk__in`` cost a
    # second pass and an external sort: most of the trend's 1.2 s on PostgreSQL with 100,000
    # answers, docs/performance.md "Satisfaction".) The subqueries are the ORM's own SQL
    # for either database; only this outer count is written by hand.
    latest_sql, latest_params = latest.query.sql_with_params()
    alone_sql, alone_params = alone.query.sql_with_params()
    quote = connections[latest.db].ops.quote_name
    kind, score, bucket_col = quote("kind"), quote("score"), quote("bucket")

    def tally(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    nps, csat = f"{kind} = %s", f"{kind} = %s"
    high = f"({nps} AND {score} >= %s) OR ({csat} AND {score} >= %s)"
    middle = f"{nps} AND {score} > %s AND {score} < %s"
    low = f"({nps} AND {score} <= %s) OR ({csat} AND {score} < %s)"
    # Only quoted column names and the ORM's compiled SQL go into the text; every value
    # is a parameter.
    sql = (
        f"SELECT {kind}, {bucket_col}, COUNT(*), {tally(high)}, {tally(middle)}, "  # noqa: S608
        f"{tally(low)} "
        f"FROM ({latest_sql} UNION ALL {alone_sql}) chosen GROUP BY {kind}, {bucket_col}"
    )
    params = (
        *(Kind.NPS.value, PROMOTER_MIN, Kind.CSAT.value, SATISFIED_MIN),
        *(Kind.NPS.value, DETRACTOR_MAX, PROMOTER_MIN),
        *(Kind.NPS.value, DETRACTOR_MAX, Kind.CSAT.value, SATISFIED_MIN),
        *latest_params,
        *alone_params,
    )
    with connections[latest.db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return {
        (row_kind, row_bucket): Counts(int(n), int(hi or 0), int(mid or 0), int(lo or 0))
        for row_kind, row_bucket, n, hi, mid, lo in found
    }


# The two periods as small integers: the window sorts by them, faster than by text.
NOW, THEN = 0, 1
_PERIOD_NAMES = {NOW: "now", THEN: "then"}


def _periods(period: Period) -> Case:
    """NOW for the period's answers, THEN for the previous period's."""
    previous = period.previous()
    return Case(
        When(_q(period), then=Value(NOW)),
        When(_q(previous), then=Value(THEN)),
        default=None,
        output_field=IntegerField(),
    )


def _q(period: Period) -> Q:
    return Q(**_span(period))


def counts(period: Period) -> dict[tuple[str, str], Counts]:
    """(kind, "now" or "then") -> the period's and the previous period's counts."""
    found = _counted(_periods(period), period.previous().start, period.end)
    return {(kind, _PERIOD_NAMES[bucket]): figures for (kind, bucket), figures in found.items()}


def _value(kind: str, period: Period, categories: Collection[int] | None) -> MetricValue:
    if categories is not None:  # answers are about the community, not a category
        return MetricValue()
    found = _counted(Value(NOW, output_field=IntegerField()), period.start, period.end)
    figures = found.get((kind, NOW), Counts())
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
    return {
        (row["kind"], _PERIOD_NAMES[row["bucket"]], bool(row["answered"])): row["n"] for row in rows
    }


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
    bounds = [*months, _months_before(months[-1], -1)]
    # Each month by its number in the trend, from plain comparisons of created_at: the
    # window sorts by an integer, and SQLite need not call its Python date functions
    # (TruncMonth) for every answer, which cost it 2 seconds for a year of 100,000.
    bucket = Case(
        *(
            When(created_at__gte=_start(bounds[n]), created_at__lt=_start(bounds[n + 1]), then=n)
            for n in range(len(months))
        ),
        default=None,
        output_field=IntegerField(),
    )
    found = _counted(bucket, months[0], bounds[-1] - timedelta(days=1))
    by_month = {(kind, months[n]): figures for (kind, n), figures in found.items()}
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
