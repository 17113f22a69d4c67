"""Joining, requests, invitations, leaving, removal and roles (groups.actions)."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.core import permissions
from townsquare.core.models import ActivityEvent
from townsquare.forum.models import Audience
from townsquare.groups import actions
from townsquare.groups.models import (
    GroupKind,
    GroupMembership,
    GroupRole,
    InvitationState,
    JoinPolicy,
    RequestState,
)


@pytest.fixture
def manager(guidelines):
    return make_member("boss", guidelines, role=Role.MANAGER)


@pytest.fixture
def owner(guidelines):
    return make_member("olga", guidelines)


def group_of(manager, owner, **fields):
    group = actions.create_group(manager, **fields)
    actions.add_member(manager, group, owner, role=GroupRole.OWNER)
    return group


@pytest.mark.django_db
def test_kinds_preset_policies_and_creating_makes_an_owned_private_category(manager, community):
    expected = {
        GroupKind.INTEREST: JoinPolicy.OPEN,
        GroupKind.PRODUCT: JoinPolicy.OPEN,
        GroupKind.ADVISORY_BOARD: JoinPolicy.SECRET,
        GroupKind.COMMITTEE: JoinPolicy.INVITE,
        GroupKind.NEWCOMERS: JoinPolicy.INVITE,
        GroupKind.EARLY_ADOPTERS: JoinPolicy.REQUEST,
    }
    for kind, policy in expected.items():
        group = actions.create_group(manager, name=f"G {kind}", kind=kind)
        assert group.policy == policy
    chapter = actions.create_group(manager, name="Kraków", kind=GroupKind.CHAPTER, location="PL")
    assert chapter.policy == JoinPolicy.REQUEST
    assert GroupMembership.objects.get(group=chapter, user=manager).role == GroupRole.OWNER
    category = chapter.category
    assert category.read_access == Audience.GROUPS
    assert list(category.read_groups.all()) == [chapter]
    assert ActivityEvent.objects.filter(verb="group.created").count() == 7


@pytest.mark.django_db
def test_bad_input_gets_clear_errors(manager, guidelines):
    actions.create_group(manager, name="Makers")
    with pytest.raises(ValidationError) as error:
        actions.create_group(manager, name="Makers")
    assert "slug" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.create_group(manager, name="x" * 81)
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.create_group(manager, name="Chapter", kind=GroupKind.CHAPTER)
    assert "location" in error.value.message_dict
    with pytest.raises(ValidationError):
        actions.create_group(manager, name="   ")
    with pytest.raises(PermissionDenied):
        actions.create_group(make_member("someone", guidelines), name="Mine")


@pytest.mark.django_db
def test_request_approve_and_decline(manager, owner, guidelines, community):
    group = group_of(manager, owner, name="Chapter", kind=GroupKind.CHAPTER, location="Oslo")
    alice = make_member("alice", guidelines)
    bob = make_member("bob", guidelines)
    with pytest.raises(PermissionDenied):
        actions.join_group(alice, group)  # on request: no joining at once
    first = actions.request_to_join(alice, group, "I live there")
    with pytest.raises(ValidationError):
        actions.request_to_join(alice, group)  # one pending request at a time
    second = actions.request_to_join(bob, group)
    with pytest.raises(PermissionDenied):
        actions.decide_request(bob, first, approve=True)
    actions.decide_request(owner, first, approve=True)
    actions.decide_request(owner, second, approve=False)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.decided_by) == (RequestState.APPROVED, owner)
    assert second.state == RequestState.DECLINED
    assert permissions.group_role(alice, group) == GroupRole.MEMBER
    assert permissions.group_role(bob, group) is None
    # The group's category opens to the new member.
    assert permissions.may_view_category(alice, community, group.category)
    assert not permissions.may_view_category(bob, community, group.category)
    with pytest.raises(ValidationError):
        actions.decide_request(owner, first, approve=False)


@pytest.mark.django_db
def test_invitations_by_handle_and_by_email_survive_sign_up(manager, owner, guidelines):
    group = group_of(manager, owner, name="Committee", kind=GroupKind.COMMITTEE)
    carol = make_member("carol", guidelines)
    with pytest.raises(PermissionDenied):
        actions.join_group(carol, group)
    invitation = actions.invite_member(owner, group, carol)
    assert actions.invite_member(owner, group, carol) == invitation  # no duplicates
    with pytest.raises(PermissionDenied):
        actions.answer_invitation(owner, invitation, accept=True)
    actions.answer_invitation(carol, invitation, accept=True)
    assert permissions.group_role(carol, group) == GroupRole.MEMBER

    by_email = actions.invite_email(owner, group, "Dora@Example.com", "https://town.example/")
    assert by_email.user is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Dora@example.com"]
    assert "https://town.example/accounts/signup/" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        actions.invite_email(owner, group, "not an address", "https://town.example/")
    # Dora signs up later with that address: the invitation is waiting for her.
    dora = make_member("dora", guidelines)
    by_email.refresh_from_db()
    assert by_email.user == dora
    actions.answer_invitation(dora, by_email, accept=False)
    by_email.refresh_from_db()
    assert by_email.state == InvitationState.DECLINED
    assert permissions.group_role(dora, group) is None


@pytest.mark.django_db
def test_leave_remove_and_roles_keep_an_owner(manager, owner, guidelines):
    group = group_of(manager, owner, name="Makers")
    actions.leave_group(manager, group)  # the creator hands over to olga
    erin = make_member("erin", guidelines)
    actions.join_group(erin, group)
    with pytest.raises(ValidationError):
        actions.leave_group(owner, group)  # the last owner
    with pytest.raises(ValidationError):
        actions.set_role(owner, group, owner, GroupRole.MEMBER)
    with pytest.raises(PermissionDenied):
        actions.remove_member(erin, group, owner)
    actions.set_role(owner, group, erin, GroupRole.MANAGER)
    frank = make_member("frank", guidelines)
    actions.join_group(frank, group)
    with pytest.raises(PermissionDenied):
        actions.remove_member(erin, group, owner)  # managers do not remove owners
    actions.remove_member(erin, group, frank)
    assert permissions.group_role(frank, group) is None
    actions.set_role(owner, group, erin, GroupRole.OWNER)
    actions.leave_group(owner, group)
    assert permissions.group_role(erin, group) == GroupRole.OWNER
    verbs = set(ActivityEvent.objects.values_list("verb", flat=True))
    assert {"group.left", "group.joined", "group.role_changed", "group.member_removed"} <= verbs


@pytest.mark.django_db
def test_owners_open_the_category_to_members(manager, owner, guidelines, community):
    group = group_of(manager, owner, name="Product users", kind=GroupKind.PRODUCT)
    outsider = make_member("outsider", guidelines)
    assert not permissions.may_view_category(outsider, community, group.category)
    with pytest.raises(PermissionDenied):
        actions.set_category_audience(outsider, group, Audience.MEMBERS)
    with pytest.raises(ValidationError):
        actions.set_category_audience(owner, group, Audience.STAFF)
    actions.set_category_audience(owner, group, Audience.MEMBERS)
    assert permissions.may_view_category(outsider, community, group.category)
    assert not permissions.may_start_topic(outsider, community, group.category)
