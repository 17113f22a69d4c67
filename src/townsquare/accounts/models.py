"""Members: the user account, the public profile, guidelines acceptance and API tokens."""

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.validators import (
    DISPLAY_NAME_MAX,
    HANDLE_MAX,
    validate_display_name,
    validate_handle,
)

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    MODERATOR = "moderator", _("Moderator")
    MANAGER = "manager", _("Community manager")
    ADMIN = "admin", _("Administrator")


class UserManager(BaseUserManager["User"]):
    """Creates accounts for Django internals; the product uses accounts.actions."""

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email__iexact=email)


class User(AbstractBaseUser):
    email = models.EmailField(_("email"), max_length=254)
    handle = models.CharField(
        _("handle"),
        max_length=HANDLE_MAX,
        validators=[validate_handle],
        help_text=_("Your @name: letters, digits, _ . -"),
    )
    display_name = models.CharField(
        _("display name"), max_length=DISPLAY_NAME_MAX, validators=[validate_display_name]
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    # The guidelines version this member last accepted (history in GuidelinesAcceptance).
    guidelines_version = models.PositiveIntegerField(null=True, blank=True)
    # When the member was last seen, and when their visit before this one ended: the
    # forum's "new since your last visit" (accounts.actions.touch_visit).
    last_seen_at = models.DateTimeField(null=True, blank=True)
    previous_visit_at = models.DateTimeField(null=True, blank=True)
    # Trust level 0-4 (moderation.trust): new members are limited until they rise by
    # activity; a level set by a moderator is kept (trust_level_locked).
    trust_level = models.PositiveSmallIntegerField(_("trust level"), default=0)
    trust_level_locked = models.BooleanField(default=False)
    # Mirrors of the sanctions in force (moderation.models.Sanction), read on every
    # request: silenced members read but do not post; suspended ones cannot sign in.
    silenced_until = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["handle", "display_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(Lower("handle"), name="user_handle_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["role"]),
            # The directory lists the newest members first: a page reads 30 index entries.
            models.Index(fields=["-date_joined", "-id"], name="user_newest_first"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    # Django's admin and auth ask these; the answers come from the role, which the
    # permission policy (core.permissions) reads too.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.handle


class ExpertiseTag(models.Model):
    name = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.name


def avatar_path(profile: "Profile", filename: str) -> str:
    return f"avatars/{profile.user_id}/{secrets.token_hex(8)}.webp"


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    bio = models.TextField(_("about me"), blank=True, max_length=2000)
    company = models.CharField(_("company"), max_length=100, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    expertise = models.ManyToManyField(
        ExpertiseTag, blank=True, related_name="profiles", verbose_name=_("expertise")
    )
    avatar = models.ImageField(_("avatar"), upload_to=avatar_path, blank=True)
    # The member's id in the company's CRM (members import, revenue analytics).
    external_id = models.CharField(_("CRM id"), max_length=100, blank=True, db_index=True)
    # Fields the community defines for itself (members import): {"name": "value"}.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    # Who sees each profile field: {"company": "members", "location": "nobody", ...};
    # a field not listed uses FieldAudience.default().
    field_visibility = models.JSONField(_("who sees each field"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def audience(self, field: str) -> str:
        """Who may see ``field`` (a FieldAudience value); unknown values count as nobody."""
        value = (self.field_visibility or {}).get(field, FieldAudience.default())
        return value if value in FieldAudience.values else FieldAudience.NOBODY


# The profile fields each member may show to everyone, to members only or to nobody
# (Profile.field_visibility); name, handle and avatar are always shown.
PROFILE_FIELDS = ("company", "job_title", "location", "bio", "expertise")


class FieldAudience(models.TextChoices):
    """Who may see one field of a member's profile."""

    EVERYONE = "everyone", _("Everyone who may see the directory")
    MEMBERS = "members", _("Signed-in members")
    NOBODY = "nobody", _("Only me (and the community's managers)")

    @classmethod
    def default(cls) -> str:
        return cls.EVERYONE


class Follow(models.Model):
    """Following a member: hear about their new topics (delivery is the notifications
    issue's)."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following")
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")), name="no_self_follow"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.followed}"


class GuidelinesAcceptance(models.Model):
    """A member accepted a version of the guidelines at this time (kept for the record)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guideline_acceptances")
    version = models.PositiveIntegerField()
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="one_acceptance_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted v{self.version}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the member sees it once."""

    PREFIX = "tsq_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


def export_path(export: "DataExport", filename: str) -> str:
    # Never served by /media/ (core.media refuses exports/): the download view checks the
    # owner, and the random name keeps the file unguessable even on a misconfigured proxy.
    return f"exports/{secrets.token_urlsafe(24)}.zip"


class DataExport(models.Model):
    """A member's copy of everything the platform holds about them (accounts.privacy):
    a zip built by a background job, downloadable by the member until ``expires_at``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["member", "-requested_at"], name="export_newest")]

    def __str__(self) -> str:
        return f"data export {self.pk}"
