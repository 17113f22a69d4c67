"""Satisfaction: NPS and CSAT from members' survey answers (townsquare.surveys).

Read from the answers table itself: it holds one row per member and prompt, so it stays
small (a member is asked about the community at most once every 90 days), and one
grouped query answers both periods. The trend's months are cached under their stamps
(``surveys.models.AnswerMonth``: every write in a month gives it a new one); months not
in the cache are counted in the same query, and by the same sort, as the periods.
Definitions in docs/metrics.md, "Satisfaction"; measurements in docs/performance.md.

- NPS: per cent promoters (9–10) minus per cent detractors (0–6) of the period's answers,
  each member's latest answer in the period counting once.
- CSAT: per cent of the period's 1–5 answers that are 4 or 5; every answer counts (a
  member rates each solved question once).
"""

from collections.abc import Collection
from dataclasses import astuple, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.cache import cache
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
from django.db.models.functions import Lag
from django.utils.translation import gettext_lazy as _

from townsquare.analytics.periods import Period, Row
from townsquare.analytics.periods import Value as MetricValue
from townsquare.surveys.models import AnswerMonth, Kind, SurveyAnswer

PROMOTER_MIN = 9  # 9–10
DETRACTOR_MAX = 6  # 0–6; 7–8 are passives
SATISFIED_MIN = 4  # 4–5 of 1–5
TREND_MONTHS = 12
LATEST_COMMENTS = 20
# A month's cached figures are found by its stamp, which every change replaces; the
# timeout only lets entries of old stamps and months out of view go.
MONTH_CACHE_SECONDS = 7 * 86400
# Part of the key: change it when what a month's figures count changes, so a deploy does
# not read figures cached by the code before it.
MONTH_CACHE_VERSION = 1


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

    def add(self, kind: str, score: int, n: int) -> None:
        self.answers += n
        if score >= (PROMOTER_MIN if kind == Kind.NPS else SATISFIED_MIN):
            self.high += n
        elif kind == Kind.CSAT or score <= DETRACTOR_MAX:
            self.low += n
        else:
            self.middle += n

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


@dataclass
class Tally:
    """What one read of the answers found, by (kind, period number) and (kind, month),
    each NPS member's latest answer in a bucket counting once."""

    periods: dict[tuple[str, int], Counts] = field(default_factory=dict)
    months: dict[tuple[str, date], Counts] = field(default_factory=dict)


def _numbered(spans: list[tuple[date, date]]) -> Case | Value:
    """Each span's (first day, last day) index for the answers of its days, from plain
    comparisons of created_at: SQLite need not call its Python date functions
    (TruncMonth) for every answer, and the window compares integers."""
    if not spans:
        return Value(None, output_field=IntegerField())
    return Case(
        *(When(_q(Period(first, last)), then=Value(n)) for n, (first, last) in enumerate(spans)),
        default=None,
        output_field=IntegerField(),
    )


def _q(period: Period) -> Q:
    return Q(**_span(period))


def _read(spans: list[tuple[date, date]]) -> Q:
    """The answers of the days of ``spans``, those that touch or overlap merged: months of
    the trend not in the cache may lie far before the period, and the days between are
    not read."""
    merged: list[list[date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    q = Q()
    for first, last in merged:
        q |= _q(Period(first, last))
    return q


def _tally(periods: list[Period], months: list[date]) -> Tally:
    """The answers of ``periods`` (numbered by their place in the list) and of ``months``
    in one query. Each period and each month is a bucket of its own; periods and months
    must not overlap among themselves (they may with each other).

    One sort serves every bucket: a member's NPS answers in time order, each compared
    with the member's next one (``LAG`` over newest first): an answer is the member's
    latest in its period (month) when the next one is not in the same period (month), as
    buckets are spans of time. Every other row — a CSAT answer, a deleted member's NPS
    answer — stands alone, so it skips the sort."""
    tally = Tally()
    spans = [(p.start, p.end) for p in periods]
    month_spans = [(m, _months_before(m, -1) - timedelta(days=1)) for m in months]
    if not spans + month_spans:
        return tally
    answers = SurveyAnswer.objects.filter(_read(spans + month_spans), score__isnull=False).annotate(
        period_no=_numbered(spans), month_no=_numbered(month_spans)
    )
    # A member's NPS answers, each with the period and month of the member's next answer
    # (LAG over newest first: the answer before it in the window's order).
    window = {
        "partition_by": [F("member_id")],
        "order_by": [F("created_at").desc(), F("id").desc()],
    }
    # Only the buckets asked for: a window each (one sort, the same order).
    lags = {
        f"next_{bucket}": Window(Lag(f"{bucket}_no"), **window)
        for bucket, asked in (("period", spans), ("month", month_spans))
        if asked
    }
    ranked = (
        answers.filter(Q(kind=Kind.NPS, member__isnull=False))
        .annotate(**lags)
        .values("kind", "score", "period_no", "month_no", *lags)
    )
    # Every other scored row stands alone: a CSAT answer, or an NPS answer whose member
    # was deleted (member empty).
    alone = answers.exclude(kind=Kind.NPS, member__isnull=False).values(
        "kind", "score", "period_no", "month_no"
    )
    # The subqueries are the ORM's own SQL for either database; only the outer count is
    # written by hand, from quoted names: every value is a parameter. (Django's ORM would
    # group inside the window's subquery.)
    ranked_sql, ranked_params = ranked.query.sql_with_params()
    alone_sql, alone_params = alone.query.sql_with_params()
    db = answers.db
    quote = connections[db].ops.quote_name
    listed = ", ".join(map(quote, ("kind", "score", "period_no", "month_no")))

    def latest(bucket: str) -> str:
        # The next answer is in another bucket, or there is none (LAG is empty).
        if f"next_{bucket}" not in lags:
            return "0"
        return f"CASE WHEN {quote('next_' + bucket)} = {quote(bucket + '_no')} THEN 0 ELSE 1 END"

    sql = (
        f"SELECT {listed}, latest_period, latest_month, COUNT(*) FROM ("  # noqa: S608
        f"SELECT {listed}, {latest('period')} AS latest_period, "
        f"{latest('month')} AS latest_month FROM ({ranked_sql}) ranked "
        f"UNION ALL SELECT {listed}, 1, 1 FROM ({alone_sql}) alone"
        f") chosen WHERE latest_period = 1 OR latest_month = 1 "
        f"GROUP BY {listed}, latest_period, latest_month"
    )
    with connections[db].cursor() as cursor:
        cursor.execute(sql, (*ranked_params, *alone_params))
        found = cursor.fetchall()
    for kind, score, period, month, latest_period, latest_month, n in found:
        if period is not None and latest_period:
            tally.periods.setdefault((kind, period), Counts()).add(kind, score, n)
        if month is not None and latest_month:
            tally.months.setdefault((kind, months[month]), Counts()).add(kind, score, n)
    return tally


# The period and the previous one by their place in the list _tally is given.
NOW, THEN = 0, 1


def _value(kind: str, period: Period, categories: Collection[int] | None) -> MetricValue:
    if categories is not None:  # answers are about the community, not a category
        return MetricValue()
    figures = _tally([period], []).periods.get((kind, NOW), Counts())
    return MetricValue(total=figures.nps if kind == Kind.NPS else figures.csat)


def nps(period: Period, categories: Collection[int] | None = None) -> MetricValue:
    """The period's NPS (``metrics.series``, the API); None without answers."""
    return _value(Kind.NPS, period, categories)


def csat(period: Period, categories: Collection[int] | None = None) -> MetricValue:
    """The period's CSAT in per cent (``metrics.series``, the API); None without answers."""
    return _value(Kind.CSAT, period, categories)


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


Trend = list[tuple[date, Counts, Counts]]


def _with_trend(months: list[date], periods: list[Period]) -> tuple[Tally, Trend]:
    """The counts of ``periods`` (see ``_tally``) and of the trend's ``months``, in two
    queries at most. A month with a stamp (``surveys.AnswerMonth``) is read from the cache
    under it when there; the others are counted in the same query as the periods (which
    stay live), and cached."""
    # The stamps are read before the answers: a change committed in between gives a new
    # stamp, so what this request caches under the old one is never read.
    stamps = dict(AnswerMonth.objects.filter(month__in=months).values_list("month", "stamp"))
    keys = {
        m: f"satisfaction:month:{MONTH_CACHE_VERSION}:{m:%Y-%m}:{stamps[m]}"
        for m in months
        if m in stamps
    }
    cached = cache.get_many(list(keys.values()))
    by_month = {
        m: (Counts(*cached[key][0]), Counts(*cached[key][1]))
        for m, key in keys.items()
        if key in cached
    }
    missing = [m for m in months if m not in by_month]
    tally = _tally(periods, missing)
    fresh = {
        m: (tally.months.get((Kind.NPS, m), Counts()), tally.months.get((Kind.CSAT, m), Counts()))
        for m in missing
    }
    cache.set_many(
        {keys[m]: (astuple(n), astuple(c)) for m, (n, c) in fresh.items() if m in keys},
        MONTH_CACHE_SECONDS,
    )
    by_month |= fresh
    return tally, [(m, *by_month[m]) for m in months]


def monthly(period: Period) -> Trend:
    """(month, NPS counts, CSAT counts) for each month of the trend; within a month each
    member's latest NPS answer counts once."""
    return _with_trend(trend_months(period), [])[1]


def page(period: Period) -> tuple[dict[str, list[Row]], Trend]:
    """The page's figure tables (``rows``) and its trend (``monthly``), in three queries:
    the trend's months not in the cache are counted with the periods."""
    tally, trend = _with_trend(trend_months(period), [period, period.previous()])
    return _tables(tally, responses(period)), trend


def latest_comments(period: Period, limit: int = LATEST_COMMENTS) -> list[SurveyAnswer]:
    """The period's newest answers that came with a comment, with their members."""
    return list(
        SurveyAnswer.objects.filter(score__isnull=False, **_span(period))
        .exclude(comment="")
        .select_related("member")
        .order_by("-created_at", "-id")[:limit]
    )


def responses(period: Period) -> dict[tuple[str, int, bool], int]:
    """(kind, NOW/THEN, answered) -> rows, dismissals included, no member counted once:
    how many answered and how many said "not now", in one grouped query."""
    rows = (
        SurveyAnswer.objects.filter(**_span(Period(period.previous().start, period.end)))
        .annotate(
            bucket=_numbered(
                [(period.start, period.end), (period.previous().start, period.previous().end)]
            ),
            answered=ExpressionWrapper(Q(score__isnull=False), output_field=BooleanField()),
        )
        .values("kind", "bucket", "answered")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(row["kind"], row["bucket"], bool(row["answered"])): row["n"] for row in rows}


def rows(period: Period) -> dict[str, list[Row]]:
    """The page's figure tables for a period against the previous one (two queries)."""
    return _tables(_tally([period, period.previous()], []), responses(period))


def _tables(tally: Tally, answered: dict[tuple[str, int, bool], int]) -> dict[str, list[Row]]:
    """The figure tables from the counts of the period (NOW) and the previous one (THEN)."""
    from townsquare.analytics.metrics import METRICS

    def pair(kind: str) -> tuple[Counts, Counts]:
        return tally.periods.get((kind, NOW), Counts()), tally.periods.get((kind, THEN), Counts())

    (nps_now, nps_then), (csat_now, csat_then) = pair(Kind.NPS), pair(Kind.CSAT)

    def metric_row(key: str, now: float | None, then: float | None) -> Row:
        metric = METRICS[key]
        return Row(str(metric.label), now, then, str(metric.definition), metric.percent, key)

    def count_row(label: str, definition: str, kind: str, is_answer: bool) -> Row:
        return Row(
            label,
            answered.get((kind, NOW, is_answer), 0),
            answered.get((kind, THEN, is_answer), 0),
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
