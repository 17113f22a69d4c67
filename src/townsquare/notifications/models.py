"""In-app notifications, what members want to hear about and how, and their mutes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.forum.models import NotificationLevel


class Kind(models.TextChoices):
    """What happened. Kinds for later capabilities (events, jobs, articles) are listed
    already, so members can choose their channel before the first one is sent."""

    REPLY = "reply", _("Replies to my topics and posts")
    MENTION = "mention", _("Mentions of me")
    QUOTE = "quote", _("Quotes of my posts")
    REACTION = "reaction", _("Reactions to my posts")
    ANSWER_ACCEPTED = "answer_accepted", _("My answer accepted")
    WATCHED_POST = "watched_post", _("New posts in what I watch")
    WATCHED_TOPIC = "watched_topic", _("New topics in what I watch")
    FOLLOWED_TOPIC = "followed_topic", _("New topics by members I follow")
    GROUP_INVITATION = "group_invitation", _("Group invitations")
    GROUP_REQUEST = "group_request", _("Requests to join groups I run")
    GROUP_APPROVED = "group_approved", _("My requests to join approved")
    MESSAGE = "message", _("Direct messages")
    MODERATION = "moderation", _("Moderation of my content")
    # A moderators' notice (moderation.notices): a warning, a silence, a suspension, a
    # decision on the member's content. Always in the app and mailed as account mail:
    # members cannot switch it off (FIXED_CHANNELS), as they must learn why.
    NOTICE = "notice", _("Notices from the moderators")
    EVENT = "event", _("New events")
    # What concerns an event the member answered or proposed: its changes and cancellation,
    # a place from the waiting list, reminders, the follow-up, a proposal's decision. Apart
    # from new events, so that silencing announcements never silences these.
    MY_EVENT = "my_event", _("Events I am going to or proposed")
    JOB = "job", _("Jobs in my field")
    ARTICLE = "article", _("New articles")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email at once")
    DIGEST = "digest", _("In the digest")
    OFF = "off", _("Off")


#: Kinds whose channel members do not choose.
FIXED_CHANNELS = {Kind.NOTICE: Channel.IN_APP}


class MailOutcome(models.TextChoices):
    """What the email part did with a row it handled (``Notification.emailed_at`` is then
    set, so it is not looked at again): mailed, or why not."""

    SENT = "sent", _("Mailed")
    SKIPPED = "skipped", _("Not mailed: the address bounces or the account is inactive")
    HIDDEN = "hidden", _("Not mailed: no longer visible to the member")
    FAILED = "failed", _("Not mailed: the mail could not be built")


class Notification(models.Model):
    """One thing one member is told about. ``actor`` is empty for the system and for
    anonymous posts (whose author is never revealed). ``event_key`` names the event, so
    delivering it twice creates nothing twice; ``group_key`` gathers similar ones
    ("5 new replies in …"). ``channel`` is the member's choice when it was created: rows
    for email and digest are also shown in the app, and the email part sends them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.IN_APP)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.ForeignKey(
        "forum.Topic", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        "messaging.Conversation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # An event (events app) the notification is about: published, changed, cancelled, a
    # reminder, a follow-up. Deleting the event deletes what was said about it.
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    event_key = models.CharField(max_length=100)
    group_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_outcome = models.CharField(
        max_length=10, choices=MailOutcome.choices, blank=True, default=""
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="one_notification_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_newest"),
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            # The notification mail's sweep (notifications.mailing): rows still to mail.
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(channel="email", emailed_at__isnull=True, read_at__isnull=True),
                name="notification_to_mail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class Preference(models.Model):
    """A member's channel for one kind (no row: the community default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} by {self.channel}"


class DefaultPreference(models.Model):
    """The community's default channel for a kind, set by admins (no row: in the app)."""

    kind = models.CharField(max_length=20, choices=Kind.choices, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    def __str__(self) -> str:
        return f"default: {self.kind} by {self.channel}"


class MemberMute(models.Model):
    """Hear nothing caused by this member (quieter than a block: they may still write)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_mutes"
    )
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "muted"], name="mute_member_once"),
            models.CheckConstraint(condition=~Q(user=models.F("muted")), name="no_self_mute"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} muted {self.muted_id}"


class GroupNotificationSetting(models.Model):
    """A member's level for a group's discussions, like categories and tags have."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_settings"
    )
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, related_name="notification_settings"
    )
    level = models.PositiveSmallIntegerField(choices=NotificationLevel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_level_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: group {self.group_id} at {self.level}"


class DigestFrequency(models.TextChoices):
    OFF = "off", _("Never")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Stream(models.TextChoices):
    """The kinds of community mail a member can leave with one click (List-Unsubscribe).
    Account mail (password reset, address confirmation) is not a stream: it always goes."""

    NOTIFICATIONS = "notifications", _("Notification emails")
    DIGEST = "digest", _("The digest")
    ANNOUNCEMENTS = "announcements", _("Announcements and newsletters")
    ONBOARDING = "onboarding", _("Welcome series")
    # Managers and admins only (analytics.weekly_report): the community's figures.
    ANALYTICS_REPORT = "analytics_report", _("Weekly analytics report")


class EventReminders(models.TextChoices):
    """When a member going to an event is reminded of it (events.tasks.send_reminders)."""

    BOTH = "both", _("A day and an hour before")
    DAY = "day", _("A day before")
    HOUR = "hour", _("An hour before")
    NONE = "none", _("No reminders")


class MailSettings(models.Model):
    """A member's community mail: the digest's rhythm and hour (local time), which streams
    they receive, and when they were last mailed (batching, digests). No row: defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_settings"
    )
    digest = models.CharField(
        _("digest"), max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    digest_hour = models.PositiveSmallIntegerField(_("digest hour (your time)"), default=7)
    announcements = models.BooleanField(_("announcements and newsletters"), default=True)
    onboarding = models.BooleanField(_("welcome series"), default=True)
    analytics_report = models.BooleanField(_("weekly analytics report"), default=True)
    # Not mail only: reminders reach the member by their channel for their events
    # (Kind.MY_EVENT).
    event_reminders = models.CharField(
        _("event reminders"),
        max_length=4,
        choices=EventReminders.choices,
        default=EventReminders.BOTH,
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    notifications_mailed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mail settings of {self.user_id}"

    def receives(self, stream: str) -> bool:
        if stream == Stream.DIGEST:
            return self.digest != DigestFrequency.OFF
        if stream == Stream.ANNOUNCEMENTS:
            return self.announcements
        if stream == Stream.ONBOARDING:
            return self.onboarding
        if stream == Stream.ANALYTICS_REPORT:
            return self.analytics_report
        return True  # notification mail follows the channel chosen for each kind
