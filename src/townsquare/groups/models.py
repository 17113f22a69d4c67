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


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class JoinRequest(models.Model):
    """A member asks to join a group whose policy is "on request"; owners and managers
    answer. The latest request per member and group tells the member where they stand."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_requests"
    )
    note = models.TextField(_("note"), blank=True, max_length=500)
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=models.Q(state="pending"),
                name="one_pending_request_per_group",
            )
        ]
        indexes = [models.Index(fields=["group", "state"])]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.group}"


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Invitation(models.Model):
    """An invitation to a member (by handle) or to an email address. One sent to an
    address waits for the account with that address: when that account becomes a member
    it is handed over (``user`` set) and shows up like any other."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="group_invitations",
    )
    email = models.EmailField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        max_length=10, choices=InvitationState.choices, default=InvitationState.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "state"]),
            models.Index(fields=["email", "state"]),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.group} for {self.user or self.email}"
