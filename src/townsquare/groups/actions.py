"""Every change to groups. Only what the forum's category access needs for now; joining
policies, invitations and owners' powers come with the groups issue."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.groups.models import Group, GroupKind, GroupMembership, GroupRole, JoinPolicy


@transaction.atomic
def create_group(
    actor: User | None,
    *,
    name: str,
    slug: str = "",
    description: str = "",
    kind: str = GroupKind.INTEREST,
    policy: str = JoinPolicy.OPEN,
    location: str = "",
) -> Group:
    if actor is not None and not permissions.may_manage_groups(actor):
        raise PermissionDenied
    name = name.strip()
    group = Group(
        name=name,
        slug=slugify(slug or name, allow_unicode=True),
        description=description.strip(),
        kind=kind,
        policy=policy,
        location=location.strip(),
        created_by=actor,
    )
    if Group.objects.filter(slug=group.slug).exists():
        raise ValidationError({"slug": _("A group with this address already exists.")})
    group.full_clean()
    group.save()
    activity.record(actor, "group.created", group)
    return group


@transaction.atomic
def add_member(
    actor: User | None, group: Group, member: User, role: str = GroupRole.MEMBER
) -> GroupMembership:
    if actor is not None and not permissions.may_manage_groups(actor):
        raise PermissionDenied
    membership, created = GroupMembership.objects.get_or_create(
        group=group, user=member, defaults={"role": role}
    )
    if created:
        permissions.forget_forum_access()
        activity.record(actor, "group.member_added", group, member=member.pk)
    return membership


@transaction.atomic
def remove_member(actor: User | None, group: Group, member: User) -> None:
    if actor is not None and not permissions.may_manage_groups(actor):
        raise PermissionDenied
    deleted, _counts = GroupMembership.objects.filter(group=group, user=member).delete()
    if deleted:
        permissions.forget_forum_access()
        activity.record(actor, "group.member_removed", group, member=member.pk)
