"""Events and live sessions: webinars, weekly community sessions, AMAs and meetups, their
hosts, registrations (RSVPs and tickets), registration questions and the resources shared
afterwards. Who may see and do what is answered by core.permissions (visible_events,
may_*); every change goes through the action modules: events.actions (the events),
registrations (answers, the waiting list, check-in), series, proposals, notices and
calendars (the feed's address).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import TIMEZONE_CHOICES


class EventFormat(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Hybrid")


class Visibility(models.TextChoices):
    COMMUNITY = "community", _("Everyone who may see the community")
    MEMBERS = "members", _("Signed-in members")
    GROUP = "group", _("Members of the group")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed by a member")
    PUBLISHED = "published", _("Published")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    FINISHED = "finished", _("Finished")


#: Statuses everyone allowed by the visibility sees; the others only the hosts and managers.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.FINISHED)


class EventSeries(models.Model):
    """A recurring event: an iCalendar RRULE in a time zone at a local hour
    (events.recurrence expands it; occurrences are Event rows pointing here)."""

    rule = models.CharField(_("repeat rule"), max_length=500, help_text="RRULE, e.g. FREQ=WEEKLY")
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC"
    )
    starts_on = models.DateField(_("first day"))
    local_start = models.TimeField(_("local start time"))
    duration = models.DurationField(_("duration"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when "this and all following" split the series: the part from that occurrence
    # on. A continued series no longer extends; its later occurrences are the part's.
    continued_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self) -> str:
        return f"{self.rule} {self.local_start} {self.timezone}"


class Event(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=100, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, max_length=20000)
    description_html = models.TextField(blank=True, editable=False)
    # Instants in UTC; ``timezone`` is the event's own zone, shown next to the viewer's.
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC"
    )
    format = models.CharField(
        _("format"), max_length=10, choices=EventFormat.choices, default=EventFormat.ONLINE
    )
    video_url = models.URLField(_("video link"), max_length=500, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    visibility = models.CharField(
        _("who may see it"), max_length=10, choices=Visibility.choices, default=Visibility.COMMUNITY
    )
    # Deleting a group deletes its events: keeping them would widen who sees them.
    group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("group"),
    )
    cover = models.ImageField(_("cover image"), upload_to="events/covers/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events_created",
    )
    # The discussion thread, opened when the event is published.
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="event"
    )
    series = models.ForeignKey(
        EventSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    # For an occurrence of a series: the UTC start the rule gave it, even once moved.
    recurrence_id = models.DateTimeField(null=True, blank=True)
    # An occurrence edited on its own: edits of the whole series leave it as it is.
    series_changed = models.BooleanField(default=False)
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=1000)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)
    # The iCalendar SEQUENCE: raised when the time or place changes and on cancelling, so
    # calendars that imported the event replace their copy (events.calendars).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after"
            ),
            models.CheckConstraint(
                condition=~Q(visibility="group") | Q(group__isnull=False),
                name="event_group_visibility_has_group",
            ),
            models.UniqueConstraint(
                fields=["series", "recurrence_id"],
                condition=Q(series__isnull=False),
                name="event_one_occurrence_per_recurrence_id",
            ),
        ]
        indexes = [
            # The upcoming and past lists: by status, then time (both directions).
            models.Index(fields=["status", "starts_at", "id"], name="event_status_start"),
            models.Index(fields=["status", "ends_at", "id"], name="event_status_end"),
            models.Index(fields=["group", "starts_at"], name="event_group_start"),
            models.Index(fields=["created_by", "status"], name="event_creator"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/events/{self.pk}/{self.slug}/"

    @property
    def is_online(self) -> bool:
        return self.format in (EventFormat.ONLINE, EventFormat.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID)


class EventHost(models.Model):
    """A host: a member, or a named guest ("Anna Nowak", "Head of Product")."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="hosts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events_hosted",
    )
    name = models.CharField(_("guest name"), max_length=120, blank=True)
    title = models.CharField(_("guest title"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(name=""), name="event_host_named"
            ),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(user__isnull=False),
                name="event_host_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "event"])]

    def __str__(self) -> str:
        return self.name or str(self.user)


class RegistrationStatus(models.TextChoices):
    GOING = "going", _("Going")
    MAYBE = "maybe", _("Maybe")
    NOT_GOING = "not_going", _("Not going")
    WAITLISTED = "waitlisted", _("On the waiting list")


class Registration(models.Model):
    """A member's answer to an event (RSVP), and their free ticket."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations"
    )
    status = models.CharField(max_length=10, choices=RegistrationStatus.choices)
    # Places on the waiting list: the earliest is promoted first.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    show_me = models.BooleanField(_("show me to other attendees"), default=False)
    ticket_code = models.CharField(max_length=8, unique=True)
    # Registration question id (as text) -> answer.
    answers = models.JSONField(default=dict, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reminders (a day and an hour before) already sent to this member.
    reminded_day_at = models.DateTimeField(null=True, blank=True)
    reminded_hour_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="one_registration_per_event")
        ]
        indexes = [
            models.Index(
                fields=["event", "status", "waitlisted_at", "id"], name="registration_list"
            ),
            models.Index(fields=["member", "status"], name="registration_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.status} {self.event}"


class RegistrationQuestion(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class ResourceKind(models.TextChoices):
    RECORDING = "recording", _("Recording")
    SLIDES = "slides", _("Slides")
    LINK = "link", _("Link")


class EventResource(models.Model):
    """What hosts share after the event: the recording, the slides, other links."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(
        _("kind"), max_length=10, choices=ResourceKind.choices, default=ResourceKind.LINK
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("address"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A member's personal calendar feed address: its secret token is the only key."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.member}"
