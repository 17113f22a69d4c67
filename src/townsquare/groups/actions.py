"""Every change to groups: creating and editing them, joining, requests, invitations,
leaving, removal, roles, the group's own category, and the newcomers group.

Each function checks the policy (``actor=None`` is the system: the demo, jobs, importers),
validates, writes in one transaction and records an activity event.
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.images import replace_cover
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import Audience, Category
from townsquare.groups.models import (
    Group,
    GroupKind,
    GroupMembership,
    GroupRole,
    Invitation,
    InvitationState,
    JoinPolicy,
    JoinRequest,
    RequestState,
)
from townsquare.moderation import audit
from townsquare.notifications.actions import notify_on_commit

# Kinds are templates: each presets the joining policy (the creator may still choose).
KIND_POLICIES: dict[str, str] = {
    GroupKind.INTEREST: JoinPolicy.OPEN,
    GroupKind.PRODUCT: JoinPolicy.OPEN,
    GroupKind.CHAPTER: JoinPolicy.REQUEST,
    GroupKind.ADVISORY_BOARD: JoinPolicy.SECRET,
    GroupKind.COMMITTEE: JoinPolicy.INVITE,
    GroupKind.NEWCOMERS: JoinPolicy.INVITE,
    GroupKind.EARLY_ADOPTERS: JoinPolicy.REQUEST,
}
EDITABLE = {"name", "slug", "description", "kind", "policy", "location"}
# Who may read the group's category: the group alone, every member, or everyone.
CATEGORY_AUDIENCES = (Audience.GROUPS, Audience.MEMBERS, Audience.EVERYONE)


def _record(
    actor: User | None,
    verb: str,
    group: Group,
    *,
    before: dict | None = None,
    after: dict | None = None,
    **data: Any,
) -> None:
    """Community managers and admins running groups act for the community: the audit log
    keeps it. A group's own owners running it, and the system, leave an activity event."""
    if actor is not None and permissions.is_manager(actor):
        audit.record(actor, verb, group, before=before, after=after, **data)
    else:
        activity.record(actor, verb, group, **data)


def _validate(group: Group) -> None:
    group.name = " ".join(group.name.split())
    if not group.name:
        raise ValidationError({"name": _("The group needs a name.")})
    group.slug = slugify(group.slug or group.name, allow_unicode=True)
    if not group.slug:
        raise ValidationError({"slug": _("Choose an address with letters or digits.")})
    if Group.objects.filter(slug=group.slug).exclude(pk=group.pk).exists():
        raise ValidationError({"slug": _("A group with this address already exists.")})
    if group.kind not in GroupKind.values:
        raise ValidationError({"kind": _("Choose one of the kinds of group.")})
    if group.policy not in JoinPolicy.values:
        raise ValidationError({"policy": _("Choose how members join.")})
    group.description = group.description.strip()
    group.location = " ".join(group.location.split())
    if group.kind == GroupKind.CHAPTER and not group.location:
        raise ValidationError({"location": _("A local chapter needs a location.")})
    group.full_clean(exclude=["cover", "category", "created_by"])


def _free_category_slug(slug: str) -> str:
    candidate, number = slug[:90], 1
    while Category.objects.filter(slug=candidate).exists():
        number += 1
        candidate = f"{slug[:90]}-{number}"
    return candidate


def _membership_changed(group: Group | None = None) -> None:
    # Category access follows group membership: every user's forum view is recomputed,
    # and the role the policy remembered on this group object is forgotten.
    permissions.forget_forum_access()
    if group is not None:
        group.__dict__.pop("viewer_role_for", None)


@transaction.atomic
def create_group(
    actor: User | None,
    *,
    name: str,
    slug: str = "",
    description: str = "",
    kind: str = GroupKind.INTEREST,
    policy: str | None = None,
    location: str = "",
    cover: UploadedFile | None = None,
    with_category: bool = True,
) -> Group:
    """Create a group, its discussion category (readable and writable by the group only)
    and, when a member creates it, make them its owner. ``policy=None`` takes the kind's."""
    if actor is not None:
        permissions.require(permissions.may_create_group(actor))
    group = Group(
        name=name,
        slug=slug,
        description=description,
        kind=kind,
        policy=policy or KIND_POLICIES.get(kind, JoinPolicy.OPEN),
        location=location,
        created_by=actor,
    )
    _validate(group)
    replace_cover(group.cover, cover)
    group.save()
    if with_category:
        only_the_group = {"read_groups": [group], "topic_groups": [group], "reply_groups": [group]}
        group.category = forum_actions.create_category(
            None,
            name=group.name,
            slug=_free_category_slug(group.slug),
            description=group.description[:500],
            read_access=Audience.GROUPS,
            topic_access=Audience.GROUPS,
            reply_access=Audience.GROUPS,
            audited=False,  # part of creating the group, whose entry says so
            **only_the_group,
        )
        group.save(update_fields=["category"])
    _record(actor, "group.created", group, kind=group.kind, policy=group.policy)
    if actor is not None:
        GroupMembership.objects.create(group=group, user=actor, role=GroupRole.OWNER)
        _membership_changed()
    return group


@transaction.atomic
def update_group(
    actor: User | None,
    group: Group,
    *,
    cover: UploadedFile | bool | None = None,
    **changes: str,
) -> Group:
    """Edit a group (owners, its managers, community managers). ``cover=False`` removes
    the cover image."""
    if actor is not None:
        permissions.require(permissions.may_manage_group(actor, group))
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown group fields: {sorted(unknown)}")
    group = Group.objects.select_for_update().get(pk=group.pk)
    changed = sorted(field for field, value in changes.items() if getattr(group, field) != value)
    before = {field: getattr(group, field) for field in changed}
    for field, value in changes.items():
        setattr(group, field, value)
    _validate(group)
    replace_cover(group.cover, cover)
    if cover is not None:
        changed.append("cover")
    group.save()
    if group.category_id and "name" in changed:
        Category.objects.filter(pk=group.category_id).update(name=group.name)
    _record(
        actor,
        "group.updated",
        group,
        before=before,
        after={field: getattr(group, field) for field in before},
        changed=changed,
    )
    return group


@transaction.atomic
def set_category_audience(actor: User | None, group: Group, audience: str) -> Category:
    """Who may read the group's category: the group only, every member, or everyone.
    Starting topics and replying stay with the group's members."""
    if actor is not None:
        permissions.require(permissions.may_change_roles(actor, group))
    if audience not in CATEGORY_AUDIENCES:
        raise ValidationError({"audience": _("Choose the group, members or everyone.")})
    if group.category_id is None:
        raise ValidationError({"audience": _("This group has no discussion category.")})
    previous = group.category.read_access
    category = forum_actions.update_category(
        None, group.category, read_access=audience, audited=False
    )
    _record(
        actor,
        "group.category_opened",
        group,
        before={"read_access": previous},
        after={"read_access": audience},
        audience=audience,
    )
    return category


# --- Membership ---------------------------------------------------------------------------


def _add(
    actor: User | None, group: Group, member: User, role: str, verb: str, **data
) -> GroupMembership:
    membership, created = GroupMembership.objects.get_or_create(
        group=group, user=member, defaults={"role": role}
    )
    if created:
        _membership_changed(group)
        activity.record(actor, verb, group, member=member.pk, **data)
    return membership


@transaction.atomic
def add_member(
    actor: User | None, group: Group, member: User, role: str = GroupRole.MEMBER
) -> GroupMembership:
    """Put a member straight into a group (community managers, the system)."""
    if actor is not None and not permissions.may_manage_groups(actor):
        raise PermissionDenied
    return _add(actor, group, member, role, "group.member_added")


@transaction.atomic
def join_group(actor: User, group: Group) -> GroupMembership:
    """Join an open group."""
    if permissions.group_role(actor, group) is not None:
        raise ValidationError(_("You are already in this group."))
    permissions.require(permissions.may_join(actor, group))
    membership = _add(actor, group, actor, GroupRole.MEMBER, "group.joined")
    _close_invitations(group, actor, InvitationState.ACCEPTED)
    return membership


def pending_request(group: Group, member: User) -> JoinRequest | None:
    return JoinRequest.objects.filter(group=group, user=member, state=RequestState.PENDING).first()


@transaction.atomic
def request_to_join(actor: User, group: Group, note: str = "") -> JoinRequest:
    """Ask to join a group on request, with an optional note for its owners."""
    if permissions.group_role(actor, group) is not None:
        raise ValidationError(_("You are already in this group."))
    permissions.require(permissions.may_request(actor, group))
    note = note.strip()
    if len(note) > 500:
        raise ValidationError({"note": _("Keep the note under 500 characters.")})
    if pending_request(group, actor) is not None:
        raise ValidationError(_("You have already asked to join; the owners will answer."))
    join_request = JoinRequest.objects.create(group=group, user=actor, note=note)
    activity.record(actor, "group.join_requested", group, request=join_request.pk)
    notify_on_commit("group_request", join_request.pk)
    return join_request


@transaction.atomic
def decide_request(actor: User | None, join_request: JoinRequest, approve: bool) -> JoinRequest:
    """Owners and managers approve or decline a request; approval makes a member."""
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    group = join_request.group
    if actor is not None:
        permissions.require(permissions.may_manage_group(actor, group))
    if join_request.state != RequestState.PENDING:
        raise ValidationError(_("This request has already been answered."))
    join_request.state = RequestState.APPROVED if approve else RequestState.DECLINED
    join_request.decided_by = actor
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["state", "decided_by", "decided_at"])
    if approve:
        _add(actor, group, join_request.user, GroupRole.MEMBER, "group.member_added")
        notify_on_commit("group_approved", join_request.pk)
    verb = "group.request_approved" if approve else "group.request_declined"
    activity.record(actor, verb, group, member=join_request.user_id, request=join_request.pk)
    return join_request


@transaction.atomic
def withdraw_request(actor: User, join_request: JoinRequest) -> None:
    if join_request.user_id != actor.pk:
        raise PermissionDenied
    updated = JoinRequest.objects.filter(pk=join_request.pk, state=RequestState.PENDING).update(
        state=RequestState.WITHDRAWN, decided_at=timezone.now()
    )
    if updated:
        activity.record(actor, "group.request_withdrawn", join_request.group)


def _owner_count(group: Group) -> int:
    return GroupMembership.objects.filter(group=group, role=GroupRole.OWNER).count()


def _keep_an_owner(group: Group, membership: GroupMembership) -> None:
    if membership.role == GroupRole.OWNER and _owner_count(group) <= 1:
        raise ValidationError(
            _("A group needs at least one owner: make someone else an owner first.")
        )


@transaction.atomic
def leave_group(actor: User, group: Group) -> None:
    membership = GroupMembership.objects.select_for_update().filter(group=group, user=actor).first()
    if membership is None:
        raise ValidationError(_("You are not in this group."))
    _keep_an_owner(group, membership)
    membership.delete()
    _membership_changed(group)
    activity.record(actor, "group.left", group)


@transaction.atomic
def remove_member(actor: User | None, group: Group, member: User) -> None:
    """Owners and managers remove members; only owners (and community managers) remove
    managers and owners. The last owner stays."""
    membership = (
        GroupMembership.objects.select_for_update().filter(group=group, user=member).first()
    )
    if actor is not None:
        permissions.require(permissions.may_manage_group(actor, group))
        if membership is not None and membership.role != GroupRole.MEMBER:
            permissions.require(permissions.may_change_roles(actor, group))
    if membership is None:
        return
    _keep_an_owner(group, membership)
    membership.delete()
    _membership_changed(group)
    _record(
        actor,
        "group.member_removed",
        group,
        before={"member": member.handle, "role": membership.role},
        member=member.pk,
    )


@transaction.atomic
def set_role(actor: User | None, group: Group, member: User, role: str) -> GroupMembership:
    """Promote or demote within the group (owners and community managers)."""
    if actor is not None:
        permissions.require(permissions.may_change_roles(actor, group))
    if role not in GroupRole.values:
        raise ValidationError({"role": _("Choose member, manager or owner.")})
    membership = (
        GroupMembership.objects.select_for_update().filter(group=group, user=member).first()
    )
    if membership is None:
        raise ValidationError(_("This person is not in the group."))
    if membership.role == role:
        return membership
    if role != GroupRole.OWNER:
        _keep_an_owner(group, membership)
    previous, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    _membership_changed(group)
    _record(
        actor,
        "group.role_changed",
        group,
        before={"member": member.handle, "role": previous},
        after={"member": member.handle, "role": role},
        member=member.pk,
        role=role,
        was=previous,
    )
    return membership


# --- Invitations --------------------------------------------------------------------------


def _close_invitations(group: Group, member: User, state: str) -> None:
    Invitation.objects.filter(group=group, user=member, state=InvitationState.PENDING).update(
        state=state, answered_at=timezone.now()
    )


@transaction.atomic
def invite_member(actor: User | None, group: Group, member: User) -> Invitation:
    """Invite a member by their account (found by handle in the views and API)."""
    if actor is not None:
        permissions.require(permissions.may_invite(actor, group))
    if GroupMembership.objects.filter(group=group, user=member).exists():
        raise ValidationError({"handle": _("This member is already in the group.")})
    existing = Invitation.objects.filter(
        group=group, user=member, state=InvitationState.PENDING
    ).first()
    if existing is not None:
        return existing
    invitation = Invitation.objects.create(group=group, user=member, invited_by=actor)
    activity.record(actor, "group.invited", group, member=member.pk)
    notify_on_commit("group_invitation", invitation.pk)
    return invitation


@transaction.atomic
def invite_email(actor: User | None, group: Group, email: str, site_url: str) -> Invitation:
    """Invite an address. The invitation waits for the account with that address (see
    ``welcome_member``) and a mail tells the person; ``site_url`` is where to sign up.
    It is stored and mailed the same whether or not the address has an account, so the
    answer says nothing about who is registered."""
    if actor is not None:
        permissions.require(permissions.may_invite(actor, group))
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": _("Enter a valid email address.")}) from error
    existing = Invitation.objects.filter(
        group=group, email__iexact=email, state=InvitationState.PENDING
    ).first()
    if existing is not None:
        return existing
    account = User.objects.filter(email__iexact=email, is_active=True).first()
    if account is not None and account.guidelines_version is None:
        account = None  # not a member yet: handed over when they become one
    if account is not None and GroupMembership.objects.filter(group=group, user=account).exists():
        account = None  # already in: the mail still goes, and accepting changes nothing
    invitation = Invitation.objects.create(group=group, email=email, user=account, invited_by=actor)
    context = {
        "group": group,
        "inviter": actor,
        "signup_url": site_url.rstrip("/") + "/accounts/signup/",
        "group_url": site_url.rstrip("/") + group.get_absolute_url(),
    }
    send_mail(
        _("You are invited to the group “%(name)s”") % {"name": group.name},
        render_to_string("groups/email/invitation.txt", context),
        None,
        [email],
    )
    activity.record(actor, "group.invited_by_email", group, invitation=invitation.pk)
    if account is not None:
        notify_on_commit("group_invitation", invitation.pk)
    return invitation


@transaction.atomic
def answer_invitation(actor: User, invitation: Invitation, accept: bool) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.user_id != actor.pk:
        raise PermissionDenied
    if invitation.state != InvitationState.PENDING:
        raise ValidationError(_("This invitation has already been answered."))
    invitation.state = InvitationState.ACCEPTED if accept else InvitationState.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["state", "answered_at"])
    group = invitation.group
    if accept:
        _add(actor, group, actor, GroupRole.MEMBER, "group.joined", invitation=invitation.pk)
    else:
        activity.record(actor, "group.invitation_declined", group, invitation=invitation.pk)
    return invitation


# --- Newcomers ----------------------------------------------------------------------------


@transaction.atomic
def welcome_member(member: User) -> None:
    """Someone has just become a member (accepted the guidelines for the first time):
    invitations sent to their address now wait for them, and they join the newcomers
    group if the community has one."""
    if member.email:
        waiting = Invitation.objects.filter(
            email__iexact=member.email, user__isnull=True, state=InvitationState.PENDING
        )
        attached = list(waiting.values_list("pk", flat=True))
        waiting.filter(pk__in=attached).update(user=member)
        for invitation_id in attached:  # told in the app, like an invitation by handle
            notify_on_commit("group_invitation", invitation_id)
    community = get_community()
    if community.newcomers_group_id is not None:
        _add(None, community.newcomers_group, member, GroupRole.MEMBER, "group.newcomer_added")


@transaction.atomic
def retire_newcomers(now: datetime | None = None) -> int:
    """Daily: members who joined the newcomers group more than ``newcomers_days`` ago
    leave it (its owners and managers stay). Returns how many left."""
    community = get_community()
    group = community.newcomers_group
    if group is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=community.newcomers_days)
    expired = list(
        GroupMembership.objects.select_for_update().filter(
            group=group, role=GroupRole.MEMBER, created_at__lt=cutoff
        )
    )
    for membership in expired:
        membership.delete()
        activity.record(None, "group.newcomer_retired", group, member=membership.user_id)
    if expired:
        _membership_changed()
    return len(expired)
