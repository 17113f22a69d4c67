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


class MonthlyActiveMember(models.Model):
    """A member active in a calendar month (UTC): the month's ``DailyActiveMember`` rows
    summed. Periods read their whole months here and only their cut edges from the daily
    rows, so a year's distinct members group ~12 rows per member instead of ~365.

    ``month`` is the month's first day. Rewritten whole for each month a rollup touches.
    """

    month = models.DateField()
    member_id = models.BigIntegerField()
    contributions = models.PositiveIntegerField(default=0)
    active_days = models.PositiveSmallIntegerField(default=0)
    last_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "member_id"], name="one_row_per_member_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} member {self.member_id}: {self.contributions}"


class MemberTenure(models.Model):
    """When a member joined (their ``member.signed_up`` event), was last active (any
    event or signed-in page view) and left (``member.deleted``), as the log tells it.

    Keyed by the member's id, not a foreign key: a deleted member's row stays, since the
    log keeps the id in the events' targets while their own events lose their actor.
    Rebuilt whole by every rollup (one row per member: small), so it is never stale.
    """

    member_id = models.BigIntegerField(primary_key=True)
    joined_day = models.DateField(null=True)
    joined_month = models.DateField(null=True)
    last_active_day = models.DateField(null=True)
    left_day = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["last_active_day"], name="tenure_last_active"),
            models.Index(fields=["left_day"], name="tenure_left"),
        ]

    def __str__(self) -> str:
        return f"member {self.member_id}: {self.joined_day} – {self.last_active_day}"


class RetentionCohort(models.Model):
    """Retention by join month: of the members who joined in ``joined_month``, how many
    were active ``months_after`` calendar months later. ``months_after`` 0 holds the
    cohort's size (everyone who joined that month). Rewritten whole by every rollup."""

    joined_month = models.DateField()
    months_after = models.PositiveSmallIntegerField()
    members = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["joined_month", "months_after"], name="one_row_per_cohort_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.joined_month:%Y-%m} +{self.months_after}: {self.members}"


class DailyTopic(models.Model):
    """A topic's day: replies written in it and members who entered it for the first
    time (``topic.entered``), with its category (for the filter). The discussions that
    engaged most are read from here."""

    day = models.DateField()
    topic_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True)
    replies = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "topic_id"], name="one_row_per_topic_day")
        ]
        indexes = [models.Index(fields=["day", "category_id"], name="dailytopic_read")]

    def __str__(self) -> str:
        return f"{self.day} topic {self.topic_id}: {self.replies} replies"


class DailyTopicParticipant(models.Model):
    """A member who wrote in a topic (its opening post or a reply) on a day: distinct
    participants over any period, read for a handful of topics at a time."""

    day = models.DateField()
    topic_id = models.BigIntegerField()
    member_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["topic_id", "day", "member_id"], name="one_row_per_topic_day_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} topic {self.topic_id}: member {self.member_id}"
