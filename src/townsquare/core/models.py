"""Community configuration, guidelines, the activity log and page views."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.areas import AREAS


class AccessMode(models.TextChoices):
    PUBLIC = "public", _("Public — everything public is readable and indexed")
    PRIVATE = "private", _("Private — members only")
    HYBRID = "hybrid", _("Hybrid — chosen areas are public")


class Community(models.Model):
    """The one community this installation runs (a single row, pk=1)."""

    name = models.CharField(_("name"), max_length=80, default="Townsquare")
    tagline = models.CharField(_("tagline"), max_length=160, blank=True)
    logo = models.ImageField(_("logo"), upload_to="community/", blank=True)
    mission = models.TextField(_("mission statement"), blank=True, max_length=5000)
    mission_html = models.TextField(blank=True, editable=False)
    goals = models.TextField(_("goals"), blank=True, max_length=10000)
    goals_html = models.TextField(blank=True, editable=False)
    access_mode = models.CharField(
        _("access mode"), max_length=10, choices=AccessMode.choices, default=AccessMode.PUBLIC
    )
    public_areas = models.JSONField(_("public areas"), default=list, blank=True)
    # New members join this group when they become members and leave it after
    # newcomers_days (groups.tasks.retire_newcomers), or earlier if they choose.
    newcomers_group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("newcomers group"),
    )
    newcomers_days = models.PositiveSmallIntegerField(_("days in the newcomers group"), default=30)
    # Member meetups (events): the trust level from which members may propose an event.
    meetup_trust_level = models.PositiveSmallIntegerField(
        _("trust level that may propose meetups"), default=2
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("community")

    def __str__(self) -> str:
        return self.name

    def area_is_public(self, area: str) -> bool:
        """Whether visitors who are not signed in may see this area."""
        if self.access_mode == AccessMode.PUBLIC:
            return True
        if self.access_mode == AccessMode.PRIVATE:
            return False
        return area in self.public_areas and area in AREAS

    @property
    def is_indexable(self) -> bool:
        return self.access_mode != AccessMode.PRIVATE


class GuidelinesVersion(models.Model):
    """One published version of the community guidelines; the newest is in force."""

    version = models.PositiveIntegerField(unique=True)
    body = models.TextField(_("guidelines"), max_length=50000)
    body_html = models.TextField(editable=False)
    change_summary = models.CharField(_("what changed"), max_length=300, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("guidelines version")

    def __str__(self) -> str:
        return f"v{self.version}"


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    SYSTEM = "system", _("System")


class Source(models.TextChoices):
    DIRECT = "direct", _("Direct")
    SEARCH = "search", _("Search engine")
    EMAIL = "email", _("Email")
    SOCIAL = "social", _("Social network")
    REFERRAL = "referral", _("Referring site")
    INTERNAL = "internal", _("Within the community")


class AppendOnlyQuerySet(models.QuerySet):
    """For logs that are written once and never changed: the activity and audit logs."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} is append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} is append-only.")


class ActivityEvent(models.Model):
    """Something that happened: the source of truth for analytics, recognition and audit.

    Written only by action functions (core.activity.record), never changed afterwards.
    """

    # Set by record(): now, or the original time for imported and demo history.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    verb = models.CharField(max_length=64)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["verb", "created_at"]),
            models.Index(fields=["actor", "created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_id} {self.verb}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The activity log is append-only.")


class PageView(models.Model):
    """One page seen by a member or a visitor, with where the visit came from.

    Visitors are counted by a key that changes daily (a salted hash of address and
    browser), so no cookie is set and no one can be followed from day to day.
    """

    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    visitor_key = models.CharField(max_length=32)
    path = models.CharField(max_length=300)
    route = models.CharField(max_length=100, blank=True)
    area = models.CharField(max_length=30, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    referrer_host = models.CharField(max_length=200, blank=True)
    status = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)

    class Meta:
        indexes = [models.Index(fields=["source", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.path}"


class FailedJob(models.Model):
    """A background job that kept failing: kept for admins to see, retry or dismiss.

    Written by core.jobs when a job's attempts are used up or its error is not worth
    retrying. A job retried from the management page that fails again updates its entry
    (attempts add up, last_failed_at moves) rather than adding a new one.
    """

    class Status(models.TextChoices):
        FAILED = "failed", _("Failed")
        RETRIED = "retried", _("Retried, waiting")
        RESOLVED = "resolved", _("Succeeded on retry")
        DISMISSED = "dismissed", _("Dismissed")

    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=64, unique=True)
    retry_task_id = models.CharField(max_length=64, blank=True, db_index=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    exception_type = models.CharField(max_length=200)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    times_retried = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(default=timezone.now)
    last_failed_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FAILED)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.exception_type})"


class CompletedJob(models.Model):
    """A job with an outside effect that has happened (core.jobs.once): not done again.

    Late acknowledgement means a job can be delivered twice; a job that sends mail checks
    here first. Rows older than JOBS_COMPLETED_KEEP_DAYS are pruned daily.
    """

    key = models.CharField(max_length=200, unique=True)
    completed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


class MailboxStatus(models.Model):
    """How mail to one address has fared. Refusals by the receiving server add up; at
    EMAIL_BOUNCE_THRESHOLD in a row the address is *bouncing* and nothing but account mail
    (password reset, address confirmation) goes to it until the member fixes it (a new
    address, or "try my address again"). A delivery that succeeds starts the count over."""

    email = models.CharField(max_length=254, unique=True)  # lower case
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    bouncing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "mailbox statuses"

    def __str__(self) -> str:
        return f"{self.email}: {self.failures} failure(s)"
