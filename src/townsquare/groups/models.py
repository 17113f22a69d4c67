"""Groups of members. For now only what the permission policy needs: who belongs to which
group, so a category can be opened to "members of these groups". Kinds, joining policies,
invitations and the group pages come with the groups issue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Group(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMembership", related_name="member_groups"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("group")

    def __str__(self) -> str:
        return self.name


class GroupRole(models.TextChoices):
    MEMBER = "member", _("Member")
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
