"""Every write of notifications: delivering events, marking read, preferences and mutes.

Forum, group and message actions call the small ``*_on_commit`` functions below once
their transaction commits; those enqueue ``notifications.tasks.fan_out``, which works out
who hears about the event (``recipients``) and delivers it in batches (``deliver``):
the actor, muted, blocked and unauthorised members are dropped, each member's channel
for the kind is looked up, and one row per member and event is inserted (a unique key
makes a second run create nothing).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from townsquare.accounts.models import Follow, User
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.events.models import Event as LiveEvent
from townsquare.events.models import EventStatus, Registration, RegistrationStatus
from townsquare.forum.models import (
    CategoryNotificationSetting,
    NotificationLevel,
    Post,
    TagNotificationSetting,
    Topic,
    TopicReadState,
    TopicTag,
)
from townsquare.groups.models import Group, GroupMembership, GroupRole, Invitation, JoinRequest
from townsquare.messaging.models import Block, Message, Participant
from townsquare.moderation import audit
from townsquare.notifications.models import (
    FIXED_CHANNELS,
    Channel,
    DefaultPreference,
    DigestFrequency,
    EventReminders,
    GroupNotificationSetting,
    Kind,
    MailSettings,
    MemberMute,
    Notification,
    Preference,
    Stream,
)

BATCH_SIZE = 500
# Above this many candidates, the fan-out job hands them to ``deliver_batch`` jobs of this
# size, which all the workers share (notifications.tasks).
JOB_SIZE = 5000
STREAM_CHUNK = 2000

# When a member qualifies several ways for one event, the first kind here wins.
PRIORITY = [
    Kind.MENTION,
    Kind.REPLY,
    Kind.QUOTE,
    Kind.ANSWER_ACCEPTED,
    Kind.REACTION,
    Kind.FOLLOWED_TOPIC,
    Kind.WATCHED_TOPIC,
    Kind.WATCHED_POST,
]
_RANK = {kind: index for index, kind in enumerate(PRIORITY)}


@dataclass
class Event:
    """One thing that happened, as every recipient will be told about it."""

    key: str
    target: str  # "topic:12", "post:40", "group:3", "conversation:7": gathers similar ones
    actor_id: int | None  # the real actor: excluded, and their mutes and blocks apply
    shown_actor_id: int | None  # who the notification names (None for anonymous posts)
    topic: Topic | None = None
    post: Post | None = None
    group: Group | None = None
    conversation_id: int | None = None
    live_event: LiveEvent | None = None  # an event of the events app (see ``_event_notice``)
    data: dict = field(default_factory=dict)


def _add(candidates: dict[int, str], user_ids: Iterable[int], kind: str) -> None:
    for user_id in user_ids:
        if user_id is None:
            continue
        current = candidates.get(user_id)
        if current is None or _RANK.get(kind, 99) < _RANK.get(current, 99):
            candidates[user_id] = kind


# --- Preferences ----------------------------------------------------------------------


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each member's channel for a kind: their choice, else the community default, else
    in the app. Two queries whatever the number of members (email and digests use it)."""
    ids = list(user_ids)
    if kind in FIXED_CHANNELS:
        return dict.fromkeys(ids, FIXED_CHANNELS[kind])
    default = (
        DefaultPreference.objects.filter(kind=kind).values_list("channel", flat=True).first()
        or Channel.IN_APP
    )
    chosen = dict(
        Preference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "channel")
    )
    return {user_id: chosen.get(user_id, default) for user_id in ids}


def channel_choices(user: User) -> dict[str, str]:
    """A member's channel for every kind (the settings page)."""
    defaults = dict(DefaultPreference.objects.values_list("kind", "channel"))
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, defaults.get(kind, Channel.IN_APP)) for kind in Kind.values}


def default_channels() -> dict[str, str]:
    defaults = dict(DefaultPreference.objects.values_list("kind", "channel"))
    return {kind: defaults.get(kind, Channel.IN_APP) for kind in Kind.values}


def _check_channels(channels: dict[str, str]) -> None:
    from django.core.exceptions import ValidationError

    for kind, channel in channels.items():
        if kind not in Kind.values or kind in FIXED_CHANNELS or channel not in Channel.values:
            raise ValidationError({kind: "Unknown kind or channel."})


@transaction.atomic
def set_preferences(user: User, channels: dict[str, str]) -> None:
    """A member chooses the channel for some kinds."""
    if not permissions.is_member(user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    _check_channels(channels)
    for kind, channel in channels.items():
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


@transaction.atomic
def set_default_preferences(actor: User | None, channels: dict[str, str]) -> None:
    """Admins set the channels members start from (until they choose their own)."""
    if actor is not None and not permissions.may_change_settings(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    _check_channels(channels)
    before = default_channels()
    changed = sorted(kind for kind, channel in channels.items() if before[kind] != channel)
    for kind in changed:
        DefaultPreference.objects.update_or_create(kind=kind, defaults={"channel": channels[kind]})
    if changed:
        audit.record(
            actor,
            "notifications.defaults_changed",
            None,
            before={kind: before[kind] for kind in changed},
            after={kind: channels[kind] for kind in changed},
        )


# --- Mutes ------------------------------------------------------------------------------


def mute_member(actor: User, member: User) -> None:
    if not permissions.is_member(actor) or actor.pk == member.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    MemberMute.objects.get_or_create(user=actor, muted=member)


def unmute_member(actor: User, member: User) -> None:
    MemberMute.objects.filter(user=actor, muted=member).delete()


def set_group_level(actor: User, group: Group, level: int) -> None:
    """Watch, track, mute or return to normal for a group's discussions."""
    if not permissions.visible_groups(actor, get_community()).filter(pk=group.pk).exists():
        from django.http import Http404

        raise Http404
    if level == NotificationLevel.NORMAL:
        GroupNotificationSetting.objects.filter(user=actor, group=group).delete()
    else:
        GroupNotificationSetting.objects.update_or_create(
            user=actor, group=group, defaults={"level": level}
        )


# --- Reading ----------------------------------------------------------------------------


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark some of the member's notifications read (all of them with ``ids=None``),
    and every unread one grouped with them. Others' ids change nothing."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        keys = Notification.objects.filter(recipient=user, pk__in=list(ids)).values("group_key")
        unread = unread.filter(group_key__in=keys)
    return unread.update(read_at=timezone.now())


# --- Recipients ---------------------------------------------------------------------------


def _watchers(topic: Topic, levels: list[int]) -> Iterator[int]:
    """Members watching the topic's category (or its parent), one of its tags or the
    group that owns its category, at one of ``levels``."""
    category_ids = [topic.category_id]
    if topic.category.parent_id:
        category_ids.append(topic.category.parent_id)
    # Streamed (iterator): a category may have a hundred thousand watchers.
    yield from (
        CategoryNotificationSetting.objects.filter(category_id__in=category_ids, level__in=levels)
        .values_list("user_id", flat=True)
        .iterator(chunk_size=STREAM_CHUNK)
    )
    yield from (
        TagNotificationSetting.objects.filter(
            tag_id__in=TopicTag.objects.filter(topic=topic).values("tag_id"), level__in=levels
        )
        .values_list("user_id", flat=True)
        .iterator(chunk_size=STREAM_CHUNK)
    )
    yield from (
        GroupNotificationSetting.objects.filter(
            group__category_id__in=category_ids, level__in=levels
        )
        .values_list("user_id", flat=True)
        .iterator(chunk_size=STREAM_CHUNK)
    )


def _post_recipients(post: Post) -> dict[int, str]:
    topic = post.topic
    candidates: dict[int, str] = {}
    _add(candidates, post.mentions.values_list("pk", flat=True), Kind.MENTION)
    if post.reply_to_id:
        _add(candidates, [post.reply_to.author_id] if post.reply_to else [], Kind.REPLY)
    elif not post.is_first:
        _add(candidates, [topic.author_id], Kind.REPLY)
    _add(candidates, post.quotes.values_list("author_id", flat=True), Kind.QUOTE)
    if post.is_first:
        if not topic.is_anonymous and topic.author_id:
            followers = Follow.objects.filter(followed_id=topic.author_id)
            _add(candidates, followers.values_list("follower_id", flat=True), Kind.FOLLOWED_TOPIC)
        levels = [NotificationLevel.WATCHING, NotificationLevel.WATCHING_FIRST_POST]
        _add(candidates, _watchers(topic, levels), Kind.WATCHED_TOPIC)
    else:
        watching = TopicReadState.objects.filter(
            topic=topic, notification_level=NotificationLevel.WATCHING
        ).values_list("user_id", flat=True)
        _add(candidates, watching, Kind.WATCHED_POST)
        _add(candidates, _watchers(topic, [NotificationLevel.WATCHING]), Kind.WATCHED_POST)
    return candidates


def _forum_event(key: str, post: Post, actor_id: int | None, **data) -> Event:
    topic = post.topic
    anonymous = post.is_anonymous and actor_id == post.author_id
    return Event(
        key=key,
        target=f"topic:{topic.pk}",
        actor_id=actor_id,
        shown_actor_id=None if anonymous else actor_id,
        topic=topic,
        post=post,
        data={"title": topic.title, "number": post.number, **data},
    )


def _gather(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    candidates: dict[int, str] = {}
    _add(candidates, user_ids, kind)
    return candidates


def _load_post(post_id: int) -> Post | None:
    return Post.objects.select_related("topic__category", "reply_to").filter(pk=post_id).first()


def recipients(name: str, object_id: int, extra: dict) -> tuple[Event, dict[int, str]] | None:
    """The event called ``name`` about ``object_id`` and everyone who might hear of it."""
    found = _resolve(name, object_id, extra)
    if found is None:
        return None
    event, candidates = found
    return event, candidates()


def event_for(name: str, object_id: int, extra: dict) -> Event | None:
    """The event alone, without working out who might hear of it (``deliver_batch``)."""
    found = _resolve(name, object_id, extra)
    return None if found is None else found[0]


Candidates = Callable[[], dict[int, str]]


def _resolve(name: str, object_id: int, extra: dict) -> tuple[Event, Candidates] | None:
    """The event, and a function that works out its candidates (only when asked: they
    can be many)."""
    if name == "post":
        post = _load_post(object_id)
        if post is None or post.is_deleted:
            return None
        return _forum_event(f"post:{post.pk}", post, post.author_id), lambda: _post_recipients(post)
    if name == "reaction":
        post = _load_post(object_id)
        if post is None or post.is_deleted:
            return None
        event = _forum_event(
            f"reaction:{post.pk}:{extra['actor']}:{extra['kind']}",
            post,
            extra["actor"],
            reaction=extra["kind"],
        )
        event.target = f"post:{post.pk}"
        return event, lambda: {post.author_id: Kind.REACTION} if post.author_id else {}
    if name == "answer":
        post = _load_post(object_id)
        if post is None or post.is_deleted:
            return None
        event = _forum_event(f"answer:{post.pk}", post, extra.get("actor"))
        return event, lambda: {post.author_id: Kind.ANSWER_ACCEPTED} if post.author_id else {}
    if name == "moderation":
        post = _load_post(object_id)
        if post is None:
            return None
        event = _forum_event(
            f"moderation:{post.pk}:{extra['action']}:{extra['at']}",
            post,
            extra.get("actor"),
            action=extra["action"],
        )
        event.target = f"post:{post.pk}"
        event.shown_actor_id = None  # moderators act for the community
        return event, lambda: {post.author_id: Kind.MODERATION} if post.author_id else {}
    if name == "notice":
        from townsquare.moderation.models import Notice

        notice = Notice.objects.filter(pk=object_id).first()
        if notice is None:
            return None
        event = Event(
            key=f"notice:{notice.pk}",
            target=f"notice:{notice.pk}",
            actor_id=None,  # moderators act for the community: no mute or block applies
            shown_actor_id=None,
            data={"action": notice.action, "notice": notice.pk},
        )
        return event, lambda: {notice.member_id: Kind.NOTICE}
    if name == "group_request":
        join_request = JoinRequest.objects.select_related("group").filter(pk=object_id).first()
        if join_request is None:
            return None
        group = join_request.group
        runners = GroupMembership.objects.filter(
            group=group, role__in=[GroupRole.OWNER, GroupRole.MANAGER]
        ).values_list("user_id", flat=True)
        event = Event(
            key=f"group_request:{join_request.pk}",
            target=f"group:{group.pk}",
            actor_id=join_request.user_id,
            shown_actor_id=join_request.user_id,
            group=group,
            data={"name": group.name},
        )
        return event, lambda: _gather(runners, Kind.GROUP_REQUEST)
    if name == "group_approved":
        join_request = JoinRequest.objects.select_related("group").filter(pk=object_id).first()
        if join_request is None:
            return None
        group = join_request.group
        event = Event(
            key=f"group_approved:{join_request.pk}",
            target=f"group:{group.pk}",
            actor_id=join_request.decided_by_id,
            shown_actor_id=join_request.decided_by_id,
            group=group,
            data={"name": group.name},
        )
        return event, lambda: {join_request.user_id: Kind.GROUP_APPROVED}
    if name == "group_invitation":
        invitation = Invitation.objects.select_related("group").filter(pk=object_id).first()
        if invitation is None or invitation.user_id is None:
            return None
        group = invitation.group
        event = Event(
            key=f"group_invitation:{invitation.pk}",
            target=f"group:{group.pk}",
            actor_id=invitation.invited_by_id,
            shown_actor_id=invitation.invited_by_id,
            group=group,
            data={"name": group.name, "invitation": invitation.pk},
        )
        return event, lambda: {invitation.user_id: Kind.GROUP_INVITATION}
    if name == "message":
        message = Message.objects.filter(pk=object_id).first()
        if message is None:
            return None
        others = Participant.objects.filter(
            conversation_id=message.conversation_id, left_at__isnull=True
        ).values_list("user_id", flat=True)
        event = Event(
            key=f"message:{message.pk}",
            target=f"conversation:{message.conversation_id}",
            actor_id=message.author_id,
            shown_actor_id=message.author_id,
            conversation_id=message.conversation_id,
        )
        return event, lambda: _gather(others, Kind.MESSAGE)
    if name.startswith("event_"):
        return _event_notice(name, object_id, extra)
    raise ValueError(f"unknown notification event {name!r}")


# --- Events (the events app) ----------------------------------------------------------------

#: Who is registered for an event: told of its changes and its cancellation.
REGISTERED = (RegistrationStatus.GOING, RegistrationStatus.MAYBE, RegistrationStatus.WAITLISTED)
#: The events app's notices: a new event through Kind.EVENT, the rest (about an event the
#: member answered or proposed) through Kind.MY_EVENT.
EVENT_NOTICES = {
    "published", "changed", "cancelled", "promoted", "reminder", "follow_up",
    "approved", "declined",
}  # fmt: skip


def _event_data(live: LiveEvent, what: str) -> dict:
    """What the line and the mail say, as it was when sent (a later change is a new notice)."""
    return {
        "what": what,
        "title": live.title,
        "starts_at": live.starts_at.isoformat(),
        "venue": live.venue,
    }


def _new_event_audience(live: LiveEvent) -> dict[int, str]:
    """A group's event: its members, except those who muted the group. A community event:
    the members who chose a channel for new events (an explicit choice, not the default)."""
    if live.group_id is not None:
        muted = GroupNotificationSetting.objects.filter(
            group_id=live.group_id, level=NotificationLevel.MUTED
        ).values("user_id")
        members = GroupMembership.objects.filter(group_id=live.group_id).exclude(user_id__in=muted)
        return _gather(members.values_list("user_id", flat=True).iterator(STREAM_CHUNK), Kind.EVENT)
    chosen = Preference.objects.filter(kind=Kind.EVENT).exclude(channel=Channel.OFF)
    return _gather(chosen.values_list("user_id", flat=True).iterator(STREAM_CHUNK), Kind.EVENT)


def _event_notice(name: str, object_id: int, extra: dict) -> tuple[Event, Candidates] | None:
    """``event_<what>``: published, changed, cancelled (``object_id`` is the event's),
    promoted (a registration's), reminder (``extra["when"]``: day or hour), follow_up,
    and approved or declined (a member's proposal, told to its proposer).
    Who may see the event is checked again at delivery (``_may_see``)."""
    what = name.removeprefix("event_")
    if what not in EVENT_NOTICES:
        raise ValueError(f"unknown notification event {name!r}")
    registration = None
    if what == "promoted":
        registration = Registration.objects.filter(pk=object_id).first()
        if registration is None:
            return None
        object_id = registration.event_id
    live = LiveEvent.objects.select_related("group").filter(pk=object_id).first()
    if live is None:
        return None
    registered = Registration.objects.filter(event=live)
    data = _event_data(live, what)
    key, actor_id = f"event_{what}:{live.pk}", None
    if what == "published":
        if live.status != EventStatus.PUBLISHED:
            return None
        # A recurring series is announced once, by the first of its occurrences published.
        if live.series_id is not None and (
            LiveEvent.objects.filter(series_id=live.series_id, published_at__lt=live.published_at)
            .exclude(pk=live.pk)
            .exists()
        ):
            return None
        # Its creator is not told, and those who muted or blocked them hear nothing.
        actor_id = live.created_by_id

        def candidates() -> dict[int, str]:
            return _new_event_audience(live)

    elif what in ("changed", "cancelled"):
        if what == "changed":
            key = f"{key}:{extra['at']}"
            data["changed"] = extra.get("changed", [])
        # Whoever changed or cancelled it knows; their mutes and blocks do not apply here:
        # a member who blocked a host must still learn that the event moved.
        statuses = registered.filter(status__in=REGISTERED).exclude(member_id=extra.get("by"))

        def candidates() -> dict[int, str]:
            return _gather(statuses.values_list("member_id", flat=True), Kind.MY_EVENT)

    elif what == "promoted":
        key = f"{key}:{registration.pk}:{extra['at']}"

        def candidates() -> dict[int, str]:
            still = registration.status == RegistrationStatus.GOING
            return {registration.member_id: Kind.MY_EVENT} if still else {}

    elif what == "reminder":
        when = extra["when"]
        if when not in ("day", "hour"):
            raise ValueError(f"unknown reminder {when!r}")
        if live.status != EventStatus.PUBLISHED or live.starts_at <= timezone.now():
            return None  # cancelled or started meanwhile: a reminder would be wrong
        # One reminder of each kind per start time: an event moved is reminded again.
        key = f"{key}:{when}:{int(live.starts_at.timestamp())}"
        data["when"] = when
        reminded = registered.filter(
            status=RegistrationStatus.GOING, **{f"reminded_{when}_at__isnull": False}
        )

        def candidates() -> dict[int, str]:
            return _gather(reminded.values_list("member_id", flat=True), Kind.MY_EVENT)

    elif what in ("approved", "declined"):
        # A member's proposal decided by a moderator (events.proposals): its proposer hears.
        if live.status != (EventStatus.PUBLISHED if what == "approved" else EventStatus.DECLINED):
            return None
        if what == "declined":
            data["reason"] = live.decline_reason

        def candidates() -> dict[int, str]:
            return {live.created_by_id: Kind.MY_EVENT} if live.created_by_id else {}

    else:  # follow_up
        data["resources"] = [
            {"kind": kind, "title": title, "url": url}
            for kind, title, url in live.resources.values_list("kind", "title", "url")
        ]
        attended = registered.filter(
            Q(checked_in_at__isnull=False) | Q(status=RegistrationStatus.GOING)
        )

        def candidates() -> dict[int, str]:
            return _gather(attended.values_list("member_id", flat=True), Kind.MY_EVENT)

    event = Event(
        key=key,
        target=f"event:{live.pk}:{what}",
        actor_id=actor_id,
        shown_actor_id=actor_id,
        live_event=live,
        data=data,
    )
    return event, candidates


# --- Delivering -------------------------------------------------------------------------


def _quiet_for_actor(event: Event, ids: set[int]) -> set[int]:
    """Members who muted the actor, or who blocked them or were blocked by them."""
    if event.actor_id is None or not ids:
        return set()
    muted = MemberMute.objects.filter(muted_id=event.actor_id, user_id__in=ids)
    blocks = Block.objects.filter(
        Q(blocked_id=event.actor_id, blocker_id__in=ids)
        | Q(blocker_id=event.actor_id, blocked_id__in=ids)
    ).values_list("blocker_id", "blocked_id")
    quiet = set(muted.values_list("user_id", flat=True))
    quiet |= {a if a != event.actor_id else b for a, b in blocks}
    return quiet


def _muted_forum(topic: Topic, ids: set[int]) -> set[int]:
    """Members who muted the topic, its category (or parent), a tag or its group."""
    if not ids:
        return set()
    muted = NotificationLevel.MUTED
    category_ids = [topic.category_id]
    if topic.category.parent_id:
        category_ids.append(topic.category.parent_id)
    quiet = set(
        TopicReadState.objects.filter(
            topic=topic, user_id__in=ids, notification_level=muted
        ).values_list("user_id", flat=True)
    )
    quiet |= set(
        CategoryNotificationSetting.objects.filter(
            category_id__in=category_ids, user_id__in=ids, level=muted
        ).values_list("user_id", flat=True)
    )
    quiet |= set(
        TagNotificationSetting.objects.filter(
            tag_id__in=TopicTag.objects.filter(topic=topic).values("tag_id"),
            user_id__in=ids,
            level=muted,
        ).values_list("user_id", flat=True)
    )
    quiet |= set(
        GroupNotificationSetting.objects.filter(
            group__category_id__in=category_ids, user_id__in=ids, level=muted
        ).values_list("user_id", flat=True)
    )
    return quiet


def _may_see(event: Event, ids: set[int]) -> set[int]:
    """The policy's answer for the event's target, for many members at once."""
    community = get_community()
    if event.live_event is not None:
        return permissions.members_who_may_view_event(ids, community, event.live_event)
    if event.post is not None:
        return permissions.members_who_may_view_post(ids, community, event.post)
    if event.group is not None:
        return permissions.members_who_may_see_group(ids, community, event.group)
    if event.conversation_id is not None:
        from townsquare.messaging.models import Conversation

        conversation = Conversation(pk=event.conversation_id)
        return permissions.members_who_may_view_conversation(ids, conversation)
    return set()


def deliver(event: Event, candidates: dict[int, str]) -> int:
    """Tell these members (id → kind) about the event; returns how many rows were added."""
    ids = set(candidates) - {event.actor_id, None}
    key = event.key[:100]
    # Those already told (a job delivered again, a batch sent twice) are done: skipping
    # them early spares the checks below. The unique (recipient, event) key still makes
    # sure that two runs at the same time insert one row.
    ids -= set(
        Notification.objects.filter(event_key=key, recipient_id__in=ids).values_list(
            "recipient_id", flat=True
        )
    )
    if not ids:
        return 0
    if event.data.get("action"):
        # A moderation notice goes to the author about their own content, deleted or not.
        allowed = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    elif event.group is not None and event.data.get("invitation"):
        # An invitation is how a member learns of a secret group: its invitee may know it.
        allowed = {pk for pk in ids if User.objects.filter(pk=pk, is_active=True).exists()}
    else:
        allowed = _may_see(event, ids)
    ids &= allowed
    ids -= _quiet_for_actor(event, ids)
    if event.topic is not None:
        ids -= _muted_forum(event.topic, ids)
    rows = []
    by_kind: dict[str, list[int]] = {}
    for user_id in ids:
        by_kind.setdefault(candidates[user_id], []).append(user_id)
    now = timezone.now()
    for kind, user_ids in by_kind.items():
        for user_id, channel in channels_for(user_ids, kind).items():
            if channel == Channel.OFF:
                continue
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=kind,
                    channel=channel,
                    actor_id=event.shown_actor_id,
                    # Ids, not instances: a hundred thousand rows skip the descriptors.
                    topic_id=event.topic.pk if event.topic else None,
                    post_id=event.post.pk if event.post else None,
                    group_id=event.group.pk if event.group else None,
                    conversation_id=event.conversation_id,
                    event_id=event.live_event.pk if event.live_event else None,
                    data=event.data,
                    event_key=key,
                    group_key=f"{kind}:{event.target}"[:100],
                    created_at=now,
                )
            )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # Counted among this batch's recipients only (the unique index answers): counting the
    # whole event would read every row delivered so far, once per batch.
    return Notification.objects.filter(
        event_key=key, recipient_id__in=[row.recipient_id for row in rows]
    ).count()


Share = Callable[[dict[str, list[int]]], None]


def fan_out_now(
    name: str, object_id: int, extra: dict | None = None, share: Share | None = None
) -> int:
    """Work out the recipients of an event and deliver it in batches (the task's body);
    returns how many notifications were added.

    With ``share``, an event for more than JOB_SIZE members is not delivered here: each
    slice of JOB_SIZE recipients (as ``{kind: [member ids]}``) goes to ``share``, which
    queues a ``deliver_batch`` job for it, so that every worker takes part. Then it
    returns 0 (the jobs count their own).
    """
    found = recipients(name, object_id, extra or {})
    if found is None:
        return 0
    event, candidates = found
    ids = sorted(candidates)
    if share is not None and len(ids) > JOB_SIZE:
        for start in range(0, len(ids), JOB_SIZE):
            by_kind: dict[str, list[int]] = {}
            for user_id in ids[start : start + JOB_SIZE]:
                by_kind.setdefault(candidates[user_id], []).append(user_id)
            share(by_kind)
        return 0
    return _deliver_in_batches(event, candidates, ids)


def _deliver_in_batches(event: Event, candidates: dict[int, str], ids: list[int]) -> int:
    added = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = {user_id: candidates[user_id] for user_id in ids[start : start + BATCH_SIZE]}
        added += deliver(event, batch)
    return added


def deliver_share(name: str, object_id: int, extra: dict, by_kind: dict[str, list[int]]) -> int:
    """Deliver one slice of a shared fan-out (the ``deliver_batch`` job's body). The event
    is loaded again: a post deleted meanwhile is told to nobody more."""
    event = event_for(name, object_id, extra or {})
    if event is None:
        return 0
    unknown = set(by_kind) - set(Kind.values)
    if unknown:
        raise ValueError(f"unknown notification kinds {sorted(unknown)}")
    candidates = {user_id: kind for kind, user_ids in by_kind.items() for user_id in user_ids}
    return _deliver_in_batches(event, candidates, sorted(candidates))


def notify_on_commit(name: str, object_id: int, **extra) -> None:
    """Called by the actions that cause notifications, inside their transaction."""

    def enqueue() -> None:
        from townsquare.notifications.tasks import fan_out

        fan_out.delay(name, object_id, extra)

    transaction.on_commit(enqueue)


# --- Mail settings and unsubscribing --------------------------------------------------------


@transaction.atomic
def set_mail_settings(user: User, **values: object) -> MailSettings:
    """A member chooses their digest rhythm and hour and which mailings they receive."""
    from django.core.exceptions import ValidationError

    allowed = {
        "digest", "digest_hour", "announcements", "onboarding", "analytics_report",
        "event_reminders",
    }  # fmt: skip
    if set(values) - allowed:
        raise ValueError(f"unknown mail settings {sorted(set(values) - allowed)}")
    if "digest" in values and values["digest"] not in DigestFrequency.values:
        raise ValidationError({"digest": "Unknown digest frequency."})
    if "event_reminders" in values and values["event_reminders"] not in EventReminders.values:
        raise ValidationError({"event_reminders": "Unknown reminder choice."})
    hour = values.get("digest_hour")
    if hour is not None and (not isinstance(hour, int) or not 0 <= hour <= 23):
        raise ValidationError({"digest_hour": "The hour is a number from 0 to 23."})
    mail, _ = MailSettings.objects.get_or_create(user=user)
    for name, value in values.items():
        setattr(mail, name, value)
    mail.save()
    return mail


@transaction.atomic
def unsubscribe(user: User, stream: str, kind: str = "") -> None:
    """Stop one stream of mail (the one-click link in every community mail). For
    notification mail, the kind the mail was about (or every kind) goes back to the app:
    the member still sees it in the notification centre."""
    from townsquare.core import activity

    if stream == Stream.NOTIFICATIONS:
        kinds = [kind] if kind in Kind.values else list(Kind.values)
        chosen = channel_choices(user)
        for each in kinds:
            if chosen[each] == Channel.EMAIL:
                Preference.objects.update_or_create(
                    user=user, kind=each, defaults={"channel": Channel.IN_APP}
                )
    elif stream == Stream.DIGEST:
        set_mail_settings(user, digest=DigestFrequency.OFF)
    elif stream == Stream.ANNOUNCEMENTS:
        set_mail_settings(user, announcements=False)
    elif stream == Stream.ONBOARDING:
        set_mail_settings(user, onboarding=False)
    elif stream == Stream.ANALYTICS_REPORT:
        set_mail_settings(user, analytics_report=False)
    else:
        raise ValueError(f"unknown mail stream {stream!r}")
    activity.record(user, "mail.unsubscribed", None, stream=stream, kind=kind)
