"""Events: which a user may see, and who may create, run, attend and check in.

An event is seen by those its visibility names (everyone who may see the community,
signed-in members, or the members of its group); an event that belongs to a group is
seen only by those who may see that group, so a secret group's events exist for nobody
else. Drafts, proposals and declined proposals are seen by their creator, their member
hosts and community managers only; proposals waiting for a decision by the moderators
too. To everyone else an event answers like one that does not exist.

Member meetups: members at the community's ``meetup_trust_level`` propose an event
(status proposed); staff (the moderation permission) approve or decline it. Feedback:
after an event is over, those who came (checked in, or going) rate it once.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.core.models import Community
from townsquare.core.permissions.community import (
    AnyUser,
    is_manager,
    is_member,
    is_staff,
    may_view_area,
)
from townsquare.core.permissions.groups import RUNNING_ROLES, group_role, visible_groups
from townsquare.core.permissions.moderation import is_silenced, is_suspended, may_review
from townsquare.events.models import (
    PUBLIC_STATUSES,
    Event,
    EventHost,
    EventStatus,
    Registration,
    RegistrationStatus,
    Visibility,
)
from townsquare.groups.models import Group, GroupMembership, JoinPolicy


def visible_events(user: AnyUser, community: Community) -> QuerySet[Event]:
    """Events this user may know exist: lists, pages, the API, calendars, notifications."""
    if not may_view_area(user, community, "events"):
        return Event.objects.none()
    if is_manager(user):
        return Event.objects.all()
    shown = Q(status__in=PUBLIC_STATUSES) & (
        Q(group__isnull=True) | Q(group__in=visible_groups(user, community).values("pk"))
    )
    if not is_member(user):
        return Event.objects.filter(shown, visibility=Visibility.COMMUNITY)
    own_groups = GroupMembership.objects.filter(user=user).values("group_id")
    shown &= ~Q(visibility=Visibility.GROUP) | Q(group__in=own_groups)
    hosted = EventHost.objects.filter(user=user).values("event_id")
    if may_decide_proposals(user):  # the moderators' queue: they read what they decide
        shown |= Q(status=EventStatus.PROPOSED)
    return Event.objects.filter(shown | Q(created_by=user) | Q(pk__in=hosted))


def may_view_event(user: AnyUser, community: Community, event: Event) -> bool:
    return visible_events(user, community).filter(pk=event.pk).exists()


def members_who_may_view_event(
    user_ids: Iterable[int], community: Community, event: Event
) -> set[int]:
    """Those among ``user_ids`` for whom ``may_view_event`` is true (notifications about
    the event): the rules of ``visible_events`` for active members, in three queries
    whatever their number (a test compares the two)."""
    members = [
        user
        for user in User.objects.filter(pk__in=list(user_ids), is_active=True)
        if is_member(user) and may_view_area(user, community, "events")
    ]
    if not members:
        return set()
    ids = [user.pk for user in members]
    hosts = set(
        EventHost.objects.filter(event=event, user_id__in=ids).values_list("user_id", flat=True)
    )
    in_group: set[int] = set()
    if event.group_id is not None:
        in_group = set(
            GroupMembership.objects.filter(group_id=event.group_id, user_id__in=ids).values_list(
                "user_id", flat=True
            )
        )
    secret = event.group_id is not None and event.group.policy == JoinPolicy.SECRET
    allowed = set()
    for user in members:
        mine = user.pk in in_group
        shown = (
            event.status in PUBLIC_STATUSES
            and (event.group_id is None or not secret or mine)
            and (event.visibility != Visibility.GROUP or mine)
        )
        deciding = event.status == EventStatus.PROPOSED and may_decide_proposals(user)
        if (
            is_manager(user)
            or shown
            or deciding
            or user.pk in hosts
            or event.created_by_id == user.pk
        ):
            allowed.add(user.pk)
    return allowed


def is_event_host(user: AnyUser, event: Event) -> bool:
    """A member host of the event. Remembered on the event object: pages ask often."""
    if not is_member(user):
        return False
    if getattr(event, "host_check_for", None) != user.pk:
        event.host_check_for = user.pk
        event.host_check = EventHost.objects.filter(event=event, user=user).exists()
    return event.host_check


def may_create_event(user: AnyUser, group: Group | None = None) -> bool:
    """Community managers anywhere; a group's owners and managers for their group."""
    if is_manager(user):
        return True
    return group is not None and group_role(user, group) in RUNNING_ROLES


def may_propose_event(user: AnyUser, community: Community, group: Group | None = None) -> bool:
    """Member meetups: members at the community's ``meetup_trust_level`` or above (staff
    whatever their level), not silenced, propose an event for the moderators to decide;
    in a group only if they belong to it."""
    if not is_member(user) or is_silenced(user) or not may_view_area(user, community, "events"):
        return False
    if not is_staff(user) and user.trust_level < community.meetup_trust_level:
        return False
    return group is None or GroupMembership.objects.filter(group=group, user=user).exists()


def may_decide_proposals(user: AnyUser) -> bool:
    """The queue of member proposals, approving and declining them: the moderators."""
    return may_review(user)


def may_manage_event(user: AnyUser, event: Event) -> bool:
    """Edit, publish, cancel, see attendees, attach resources: the creator, member hosts
    and community managers."""
    if not is_member(user):
        return False
    return is_manager(user) or event.created_by_id == user.pk or is_event_host(user, event)


def may_register(user: AnyUser, event: Event, now: datetime | None = None) -> bool:
    """Answer (RSVP) an event this user may see: members, while it is published and not
    over."""
    return (
        is_member(user)
        and event.status == EventStatus.PUBLISHED
        and event.ends_at > (now or timezone.now())
    )


def video_link_opens(event: Event) -> datetime:
    return event.starts_at - timedelta(minutes=settings.EVENTS_VIDEO_LINK_MINUTES)


def may_see_video_link(
    user: AnyUser, event: Event, registration: Registration | None, now: datetime | None = None
) -> bool:
    """Hosts and managers always; members going, from shortly before the start (the
    setting EVENTS_VIDEO_LINK_MINUTES). ``registration`` is the user's own, or None."""
    if not event.video_url or not event.is_online or not is_member(user):
        return False
    if may_manage_event(user, event):
        return True
    return (
        event.status == EventStatus.PUBLISHED
        and registration is not None
        and registration.member_id == user.pk
        and registration.status == RegistrationStatus.GOING
        and (now or timezone.now()) >= video_link_opens(event)
    )


def may_see_attendees(user: AnyUser, event: Event, registration: Registration | None) -> bool:
    """Who else is going (those who agreed to be shown): attendees going or maybe, hosts
    and managers."""
    if may_manage_event(user, event):
        return True
    return (
        registration is not None
        and registration.member_id == user.pk
        and registration.status in (RegistrationStatus.GOING, RegistrationStatus.MAYBE)
    )


def may_check_in(user: AnyUser, event: Event) -> bool:
    """Check attendees in, see the full list and export it: those who run the event."""
    return may_manage_event(user, event) and event.status in (
        EventStatus.PUBLISHED,
        EventStatus.FINISHED,
    )


def may_give_event_feedback(
    user: AnyUser, event: Event, registration: Registration | None, now: datetime | None = None
) -> bool:
    """ "How was it?": once the event is over (finished, or published and past its end),
    its attendees — checked in, or going — who may still see it. ``registration`` is the
    user's own, or None; whether they already answered is surveys.queries' rule."""
    return (
        is_member(user)
        and not is_suspended(user)
        and registration is not None
        and registration.member_id == user.pk
        and (
            registration.checked_in_at is not None
            or registration.status == RegistrationStatus.GOING
        )
        and event.status in (EventStatus.PUBLISHED, EventStatus.FINISHED)
        and event.ends_at <= (now or timezone.now())
    )


def may_see_event_feedback(user: AnyUser, event: Event) -> bool:
    """The average score and the comments of an event's feedback: those who run it."""
    return may_manage_event(user, event)


def may_use_calendar_feed(user: AnyUser, member: User) -> bool:
    """A member's personal calendar feed (its address, resetting it, and what it serves):
    the member alone, while they may sign in. A deactivated or suspended member's feed
    answers like an unknown address."""
    return is_member(user) and user.pk == member.pk and not is_suspended(member)
