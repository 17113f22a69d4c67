"""Daily aggregates of the activity log and page views: what the dashboards read.

Written only by ``analytics.rollups``, which recomputes whole days from the raw log, so
every row can be thrown away and rebuilt (``townsquare rollup --rebuild``).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyMetric(models.Model):
    """One number for one UTC day: a metric, optionally broken down by a dimension.

    ``dimension`` is "" for the whole community, or "<kind>:<value>", e.g. "category:12",
    "source:search", "referrer:example.com".
    """

    day = models.DateField()
    metric = models.CharField(max_length=32)
    dimension = models.CharField(max_length=240, blank=True, default="")
    value = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "metric", "dimension"], name="one_value_per_day_metric_dimension"
            )
        ]
        indexes = [models.Index(fields=["metric", "dimension", "day"], name="dailymetric_read")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.dimension or '-'} = {self.value}"


class DailyActiveMember(models.Model):
    """A member who was active (any event or signed-in page view) on a UTC day, with how
    many contributions they made that day.

    One row per member and day: far smaller than the log, and enough to count distinct
    members over any window of days (WAU, MAU, engagement, the 90-9-1 curve). A plain
    integer, not a foreign key, so rollups never join the member table and a deleted
    member's history still counts.
    """

    day = models.DateField()
    member_id = models.BigIntegerField()
    contributions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "member_id"], name="one_row_per_member_day")
        ]
        indexes = [models.Index(fields=["member_id", "day"], name="activemember_member")]

    def __str__(self) -> str:
        return f"{self.day} member {self.member_id}: {self.contributions}"


class RollupState(models.Model):
    """Where the incremental rollup got to: the highest event and page view ids it has
    seen, so late-arriving rows (higher id, older day) are found without a full scan."""

    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_pageview_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: events ≤ {self.last_event_id}, views ≤ {self.last_pageview_id}"


class AnalyticsSettings(models.Model):
    """The community's analytics settings (one row, pk=1; analytics.queries.settings)."""

    inactive_after_days = models.PositiveIntegerField(
        _("days without activity after which a member counts as lost"),
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
    )
    cost_per_ticket = models.DecimalField(
        _("cost of one support ticket"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What answering a question through support costs; estimates the savings."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Three capital letters, e.g. EUR."))],
    )

    class Meta:
        verbose_name = _("analytics settings")

    def __str__(self) -> str:
        return "analytics settings"


class QuestionFact(models.Model):
    """One question (a topic in a Q&A category) as the support metrics need it: when it
    was asked, first answered and solved, and whether staff gave that answer.

    Written only by ``analytics.support_rollup`` from the forum's tables and the activity
    log; one small row per question, so the support page reads a period's facts instead
    of topics and posts. Plain integers, not foreign keys, like ``DailyActiveMember``.
    """

    topic_id = models.BigIntegerField(primary_key=True)
    category_id = models.BigIntegerField()
    asked_at = models.DateTimeField()
    # UTC days, so a period is an index range (no time zone arithmetic at page time).
    asked_on = models.DateField()
    first_response_at = models.DateTimeField(null=True)
    # Whole seconds from the question to its first response and to its solution: what
    # the medians sort, as plain integers (no date parsing at page time).
    first_response_seconds = models.BigIntegerField(null=True)
    # The role of the first responder / the accepted answer's author when they wrote it:
    # True for moderators, managers and admins. None when there is no such answer.
    first_responder_staff = models.BooleanField(null=True)
    solved_at = models.DateTimeField(null=True)
    solved_on = models.DateField(null=True)
    solution_seconds = models.BigIntegerField(null=True)
    solver_staff = models.BooleanField(null=True)
    # Deleted or merged away: kept so a refresh knows it, left out of every figure.
    deleted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["asked_on", "category_id"], name="questionfact_asked"),
            models.Index(fields=["solved_on", "category_id"], name="questionfact_solved"),
        ]

    def __str__(self) -> str:
        return f"question {self.topic_id} asked {self.asked_on}"


class SupportDay(models.Model):
    """The questions of one category asked on one UTC day, summed up: what the support
    page and the API read, so a period costs one row per day and category whatever the
    number of questions.

    Written only by ``analytics.support_rollup`` from ``QuestionFact`` (deleted questions
    left out). The two duration histograms are lists of how many questions fell in each
    of the fixed buckets of ``support.EDGES`` (trailing zeros left off); the medians are
    read from them (their precision: docs/metrics.md).
    """

    day = models.DateField()
    category_id = models.BigIntegerField()
    asked = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    first_by_staff = models.PositiveIntegerField(default=0)
    solved_by_staff = models.PositiveIntegerField(default=0)
    # Questions of the category solved on this day, whenever asked (the chart's line).
    solved_that_day = models.PositiveIntegerField(default=0)
    first_response_buckets = models.JSONField(default=list)
    solution_buckets = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "category_id"], name="supportday_unique")
        ]

    def __str__(self) -> str:
        return f"support on {self.day} in category {self.category_id}"


class SupportMonth(models.Model):
    """The SupportDay rows of one category and UTC calendar month added up (``month`` is
    its first day), kept with them by ``analytics.support_rollup``: a long period reads
    its whole months here and only its partial months' days from SupportDay."""

    month = models.DateField()
    category_id = models.BigIntegerField()
    asked = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    first_by_staff = models.PositiveIntegerField(default=0)
    solved_by_staff = models.PositiveIntegerField(default=0)
    first_response_buckets = models.JSONField(default=list)
    solution_buckets = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "category_id"], name="supportmonth_unique")
        ]

    def __str__(self) -> str:
        return f"support in {self.month:%Y-%m} in category {self.category_id}"
