"""Groups of members: interest and product user groups, local chapters, advisory boards,
committees, newcomers, early adopters. Who may see and join a group is answered by
core.permissions (visible_groups, may_*); every change goes through groups.actions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GroupKind(models.TextChoices):
    INTEREST = "interest", _("Interest group")
    PRODUCT = "product", _("Product user group")
    CHAPTER = "chapter", _("Local chapter")
    ADVISORY_BOARD = "advisory_board", _("Customer advisory board")
    COMMITTEE = "committee", _("Committee or task force")
    NEWCOMERS = "newcomers", _("Newcomers")
    EARLY_ADOPTERS = "early_adopters", _("Early adopters")


class JoinPolicy(models.TextChoices):
    OPEN = "open", _("Open: anyone may join")
    REQUEST = "request", _("On request: owners approve")
    INVITE = "invite", _("Invitation only")
    SECRET = "secret", _("Secret: invisible to non-members")


class Group(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    kind = models.CharField(
        _("kind"), max_length=20, choices=GroupKind.choices, default=GroupKind.INTEREST
    )
    policy = models.CharField(
        _("membership"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    location = models.CharField(_("location"), max_length=100, blank=True)
    cover = models.ImageField(_("cover image"), upload_to="groups/covers/", blank=True)
    # The group's own discussion category (members only unless the owners open it).
    category = models.OneToOneField(
        "forum.Category",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owning_group",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMembership", related_name="member_groups"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/g/{self.slug}/"


class GroupRole(models.TextChoices):
    MEMBER = "member", _("Member")
    MANAGER = "manager", _("Manager")
    OWNER = "owner", _("Owner")


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=10, choices=GroupRole.choices, default=GroupRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group")
        ]
        indexes = [models.Index(fields=["user", "group"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"
