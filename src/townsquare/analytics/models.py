"""Daily aggregates of the activity log and page views: what the dashboards read.

Written only by ``analytics.rollups``, which recomputes whole days from the raw log, so
every row can be thrown away and rebuilt (``townsquare rollup --rebuild``).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
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


class PostSentiment(models.Model):
    """The sentiment of one forum post that counts (not deleted or hidden, in a topic that
    is neither): written by ``analytics.sentiment_rollup``, which removes the row when the
    post stops counting. Topic, category and UTC day are copied from the post so the
    aggregates and the "most negative threads" never join the forum's tables."""

    post = models.OneToOneField(
        "forum.Post", on_delete=models.CASCADE, primary_key=True, related_name="sentiment"
    )
    topic_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    day = models.DateField()
    language = models.CharField(max_length=5)
    score = models.FloatField()
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["day", "topic_id"], name="postsentiment_day_topic")]

    def __str__(self) -> str:
        return f"post {self.post_id}: {self.score:+.3f} ({self.language})"


class SentimentDay(models.Model):
    """The scored posts of one UTC day in one category: how many, the sum of their scores
    and how many were negative or positive (the rest neutral)."""

    day = models.DateField()
    category_id = models.BigIntegerField()
    posts = models.PositiveIntegerField()
    score_sum = models.FloatField()
    negative = models.PositiveIntegerField()
    positive = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "category_id"], name="one_sentiment_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} category {self.category_id}: {self.posts} posts"


class SentimentState(models.Model):
    """When the incremental scoring last started: posts edited since are scored again."""

    name = models.CharField(max_length=32, primary_key=True)
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.started_at}"


class MemberCredits(models.Model):
    """What others credited a member with: answers of theirs accepted, and helpful
    reactions (analytics.rollups.HELPFUL_REACTIONS) to their posts — the super users'
    table. A plain integer like DailyActiveMember, not a foreign key."""

    member_id = models.BigIntegerField()
    accepted_answers = models.PositiveIntegerField(default=0)
    helpful_reactions = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyMemberCredit(MemberCredits):
    """A member's credits on a UTC day. Filled by the rollup from ``answer.accepted`` and
    ``post.reacted`` events, whose data name the post's author."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "member_id"], name="one_credit_per_member_day")
        ]
        indexes = [models.Index(fields=["member_id", "day"], name="credit_member")]

    def __str__(self) -> str:
        return f"{self.day} member {self.member_id}: {self.accepted_answers} accepted"


class MonthlyMemberCredit(MemberCredits):
    """A member's credits in a calendar month (UTC): the month's ``DailyMemberCredit`` rows
    summed, rewritten with the month's ``MonthlyActiveMember`` rows. ``month`` is the
    month's first day."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "member_id"], name="one_credit_per_member_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} member {self.member_id}: {self.accepted_answers} accepted"


class Direction(models.TextChoices):
    AT_LEAST = "at_least", _("Reach at least the target")
    AT_MOST = "at_most", _("Stay at or below the target")


class Goal(models.Model):
    """A SMART goal: a metric (a key of analytics.metrics.METRICS), a target for it, the
    window from ``start`` to ``deadline`` and the manager who owns it. Written only by
    analytics.goal_actions; progress and forecast are computed on read (analytics.goals)."""

    metric = models.CharField(_("metric"), max_length=40)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST
    )
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        # A deleted account leaves its goals without an owner, to be given a new one.
        on_delete=models.SET_NULL,
        null=True,
        related_name="analytics_goals",
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("start")), name="goal_deadline_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.direction} {self.target} by {self.deadline}"


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
    #: Days with a contribution, and the last of them (None: only visits that month).
    contributing_days = models.PositiveSmallIntegerField(default=0)
    last_contribution = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "member_id"], name="one_row_per_member_month")
        ]
        # A member's months (the People page reads chosen members' rows).
        indexes = [models.Index(fields=["member_id", "month"], name="monthlymember_member")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} member {self.member_id}: {self.contributions}"


class MemberTenure(models.Model):
    """When a member joined (their ``member.signed_up`` event), was last active (any
    event or signed-in page view) and left (``member.deleted``), as the log tells it.

    Keyed by the member's id, not a foreign key: a deleted member's row stays, since the
    log keeps the id in the events' targets while their own events lose their actor.
    Rewritten whole by a rebuild; the hourly run rewrites only the rows of the members
    its days may have changed (``rollups._rewrite_changed``), so it is never stale.
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


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active customer")
    CHURNED = "churned", _("Churned")


class MatchedBy(models.TextChoices):
    NONE = "", _("Not matched")
    CRM_ID = "crm_id", _("CRM id in the member's profile")
    EMAIL = "email", _("Confirmed email address")
    MANUAL = "manual", _("Linked by a manager")


class CrmAccount(models.Model):
    """A customer account copied from the company's CRM (a CSV file or the API), and the
    member it belongs to, if one is found.

    Imports upsert by ``crm_id`` (or, without one, by email). A row is matched to a member
    by the CRM id in their profile, else by a confirmed email address; a manager may link
    it by hand, and such a link is kept by later imports. Retention needs only the status
    and, for a churned account, the day it churned: see docs/metrics.md, "Revenue".
    """

    crm_id = models.CharField(_("CRM id"), max_length=100, blank=True, default="")
    email = models.EmailField(_("email"), max_length=254, blank=True, default="")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_accounts",
    )
    matched_by = models.CharField(max_length=10, choices=MatchedBy.choices, blank=True)
    account_value = models.DecimalField(_("account value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    customer_since = models.DateField(_("customer since"), null=True, blank=True)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    churned_on = models.DateField(_("churned on"), null=True, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["crm_id"], condition=~Q(crm_id=""), name="crm_account_one_per_crm_id"
            ),
            # Without a CRM id, the email address is what an import updates by.
            models.UniqueConstraint(
                Lower("email"), condition=Q(crm_id=""), name="crm_account_one_per_email"
            ),
            models.CheckConstraint(
                condition=~Q(crm_id="") | ~Q(email=""), name="crm_account_has_id_or_email"
            ),
        ]
        indexes = [models.Index(fields=["member"], name="crm_account_member")]

    def __str__(self) -> str:
        return f"CRM account {self.crm_id or self.email}"


class CrmImport(models.Model):
    """One CRM import, from a CSV file (checked first, then run) or from the API.

    The file is kept between the check and the import, and emptied once imported.
    """

    class Source(models.TextChoices):
        CSV = "csv", _("CSV file")
        API = "api", _("API")

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked, not imported")
        DONE = "done", _("Imported")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=3, choices=Source.choices, default=Source.CSV)
    filename = models.CharField(max_length=255, blank=True)
    content = models.BinaryField(editable=False, default=b"")
    rows_total = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    # What the check found, in the language of the manager who uploaded the file:
    # file_errors ["..."], row_errors [{"row": 3, "column": "email", "message": "..."}].
    file_errors = models.JSONField(default=list)
    row_errors = models.JSONField(default=list)
    # The first good rows as the check read them, shown before the manager imports.
    preview = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"CRM import {self.pk} ({self.filename or self.source})"

    @property
    def is_clean(self) -> bool:
        return not self.file_errors and not self.rows_bad


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


class SupportSums(models.Model):
    """What SupportDay and SupportMonth both hold for one category: the questions asked,
    answered and solved, by staff or not, and the two duration histograms."""

    category_id = models.BigIntegerField()
    asked = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    first_by_staff = models.PositiveIntegerField(default=0)
    solved_by_staff = models.PositiveIntegerField(default=0)
    first_response_buckets = models.JSONField(default=list)
    solution_buckets = models.JSONField(default=list)

    class Meta:
        abstract = True


class SupportDay(SupportSums):
    """The questions of one category asked on one UTC day, summed up: what the support
    page and the API read, so a period costs one row per day and category whatever the
    number of questions.

    Written only by ``analytics.support_rollup`` from ``QuestionFact`` (deleted questions
    left out). The two duration histograms are lists of how many questions fell in each
    of the fixed buckets of ``support.EDGES`` (trailing zeros left off); the medians are
    read from them (their precision: docs/metrics.md).
    """

    day = models.DateField()
    # Questions of the category solved on this day, whenever asked (the chart's line).
    solved_that_day = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "category_id"], name="supportday_unique")
        ]

    def __str__(self) -> str:
        return f"support on {self.day} in category {self.category_id}"


class SupportMonth(SupportSums):
    """The SupportDay rows of one category and UTC calendar month added up (``month`` is
    its first day), kept with them by ``analytics.support_rollup``: a long period reads
    its whole months here and only its partial months' days from SupportDay."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "category_id"], name="supportmonth_unique")
        ]

    def __str__(self) -> str:
        return f"support in {self.month:%Y-%m} in category {self.category_id}"


class EventFact(models.Model):
    """One event as the events page needs it: when it ended, whether it was held, and
    how many were going and came. Written only by ``analytics.events_rollup`` from the
    events table and the activity log (``event.rsvp``, ``event.promoted``,
    ``event.attended``); events are few, so the page reads a period's rows directly.
    Plain integers, not foreign keys, like ``QuestionFact``."""

    event_id = models.BigIntegerField(primary_key=True)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    # The UTC day the event ended: the day it counts on once held.
    held_on = models.DateField()
    # Finished (not cancelled, not still to come).
    held = models.BooleanField(default=False)
    # Members whose last answer was "going", or who were checked in anyway.
    going = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["held_on", "held"], name="eventfact_held")]

    def __str__(self) -> str:
        return f"event {self.event_id} on {self.held_on}"


class EventAttendee(models.Model):
    """One member's part in one event, from the log: the UTC day they first answered
    going (a promotion from the waiting list counts), whether they ended up going and
    whether they were checked in. Written with ``EventFact``; repeat and most engaged
    attendees are counted from these rows."""

    event_id = models.BigIntegerField()
    member_id = models.BigIntegerField()
    going_on = models.DateField(null=True)
    going = models.BooleanField(default=False)
    attended = models.BooleanField(default=False)
    held_on = models.DateField()
    held = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "member_id"], name="eventattendee_unique")
        ]
        indexes = [
            models.Index(fields=["held_on", "held", "member_id"], name="eventattendee_held"),
            models.Index(fields=["going_on"], name="eventattendee_going"),
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} at event {self.event_id}"
