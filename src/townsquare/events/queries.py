"""Reads that the event pages and the API share, each in a fixed number of queries."""

from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.core.permissions import AnyUser
from townsquare.core.queries import community_for
from townsquare.events.models import (
    Event,
    EventHost,
    EventSeries,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from townsquare.groups.models import Group, GroupMembership, GroupRole


def event_list(
    user: AnyUser,
    community: Community,
    *,
    past: bool = False,
    group: Group | None = None,
    format: str = "",
    search: str = "",
    location: str = "",
) -> QuerySet[Event]:
    """Published events this user may see, upcoming (soonest first) or past (latest
    first), optionally found by words of the title or venue; with ``going`` (how many
    go), ``viewer_status`` (the user's own answer) and ``viewer_is_host``: one query
    whatever the length."""
    now = timezone.now()
    events = listed_events(user, community, group=group, format=format, location=location)
    if past:
        events = events.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    else:
        events = events.filter(ends_at__gt=now).order_by("starts_at", "pk")
    if search:
        events = events.filter(Q(title__icontains=search) | Q(venue__icontains=search))
    events = events.select_related("group", "series").annotate(
        going=Count("registrations", filter=Q(registrations__status=RegistrationStatus.GOING))
    )
    if user.is_authenticated:
        own = Registration.objects.filter(event=OuterRef("pk"), member=user).values("status")[:1]
        hosting = EventHost.objects.filter(event=OuterRef("pk"), user=user)
        events = events.annotate(viewer_status=Subquery(own), viewer_is_host=Exists(hosting))
    return events


def listed_events(
    user: AnyUser,
    community: Community,
    *,
    group: Group | None = None,
    format: str = "",
    location: str = "",
) -> QuerySet[Event]:
    """The events the list and the month view show (published, cancelled or finished,
    visible to this user), with the filters they share: group, format, and a location
    matched in the venue or the address."""
    events = permissions.visible_events(user, community).filter(
        status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.FINISHED)
    )
    if group is not None:
        events = events.filter(group=group)
    if format:
        events = events.filter(format=format)
    if location:
        events = events.filter(Q(venue__icontains=location) | Q(address__icontains=location))
    return events


def month_events(
    user: AnyUser,
    community: Community,
    start: datetime,
    end: datetime,
    *,
    group: Group | None = None,
    format: str = "",
    location: str = "",
) -> list[Event]:
    """The listed events starting from ``start`` to before ``end`` (the month's bounds in
    the viewer's zone), soonest first: one query whatever their number."""
    events = listed_events(user, community, group=group, format=format, location=location)
    return list(
        events.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("group")
        .order_by("starts_at", "pk")
    )


def next_sessions(user: AnyUser, community: Community, limit: int = 5) -> list[Event]:
    """The next published events this user may see that have not ended (the community
    home): one query."""
    return list(
        permissions.visible_events(user, community)
        .filter(status=EventStatus.PUBLISHED, ends_at__gt=timezone.now())
        .order_by("starts_at", "pk")[:limit]
    )


def remember_host(user: AnyUser, event: Event) -> None:
    """Hand the list's ``viewer_is_host`` to the policy (permissions.is_event_host), so
    asking it about each event of a list costs no query."""
    if user.is_authenticated and hasattr(event, "viewer_is_host"):
        event.host_check_for, event.host_check = user.pk, event.viewer_is_host


def visible_event(user: AnyUser, community: Community, pk: int) -> Event | None:
    """One event, if this user may see it."""
    return (
        permissions.visible_events(user, community)
        .filter(pk=pk)
        .select_related("group", "topic", "created_by", "series")
        .first()
    )


def visible_event_or_404(request: HttpRequest, pk: int) -> Event:
    """The event, if the policy lets the reader see it; 404 otherwise (never 403: a hidden
    event does not exist for them). The pages and the API alike."""
    event = visible_event(request.user, community_for(request), pk)
    if event is None:
        raise Http404(_("No such event."))
    return event


def own_registration(user: AnyUser, event: Event) -> Registration | None:
    if not user.is_authenticated:
        return None
    return Registration.objects.filter(event=event, member=user).first()


def hosts(event: Event) -> list[EventHost]:
    return list(EventHost.objects.filter(event=event).select_related("user"))


def shown_attendees(event: Event) -> list[Registration]:
    """Who else is going, among those who agreed to be shown."""
    return list(
        Registration.objects.filter(event=event, status=RegistrationStatus.GOING, show_me=True)
        .select_related("member")
        .order_by("member__display_name", "member__pk")[:200]
    )


def attendees(event: Event) -> QuerySet[Registration]:
    """Every answer, for the hosts: going first, then maybe, the waiting list in order,
    then those not going."""
    rank = {
        RegistrationStatus.GOING: 0,
        RegistrationStatus.MAYBE: 1,
        RegistrationStatus.WAITLISTED: 2,
        RegistrationStatus.NOT_GOING: 3,
    }
    order = Case(
        *[When(status=status, then=Value(value)) for status, value in rank.items()],
        output_field=IntegerField(),
    )
    return (
        Registration.objects.filter(event=event)
        .select_related("member", "checked_in_by")
        .annotate(rank=order)
        .order_by("rank", "waitlisted_at", "member__display_name", "pk")
    )


def counts(event: Event) -> dict[str, int]:
    """How many answered each way."""
    found = dict(
        Registration.objects.filter(event=event)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: found.get(status, 0) for status in RegistrationStatus.values}


def groups_for_events(user: AnyUser, community: Community) -> QuerySet[Group]:
    """Groups this user may create events in: all visible ones for community managers,
    else the groups they own or manage."""
    groups = permissions.visible_groups(user, community)
    if permissions.is_manager(user):
        return groups.order_by("name")
    if not user.is_authenticated:
        return Group.objects.none()
    running = GroupMembership.objects.filter(
        user=user, role__in=[GroupRole.OWNER, GroupRole.MANAGER]
    ).values("group_id")
    return groups.filter(pk__in=running).order_by("name")


def series_chain(series: EventSeries) -> list[int]:
    """The series and the parts split off after it ("this and all following"), in order."""
    pks, current = [series.pk], series.continued_by_id
    while current is not None and current not in pks:
        pks.append(current)
        current = (
            EventSeries.objects.filter(pk=current).values_list("continued_by_id", flat=True).first()
        )
    return pks


def next_occurrences(
    user: AnyUser, community: Community, event: Event, limit: int = 5
) -> list[Event]:
    """A repeating event's next occurrences after this one (in the parts split off after
    it too) that this user may see."""
    if event.series_id is None:
        return []
    return list(
        permissions.visible_events(user, community)
        .filter(
            series__in=series_chain(event.series),
            starts_at__gt=max(event.starts_at, timezone.now()),
            status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED),
        )
        .order_by("starts_at", "pk")[:limit]
    )
