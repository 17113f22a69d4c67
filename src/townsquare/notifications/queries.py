"""Reads for the notification centre, the header badge and the API."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.models import Community
from townsquare.forum.models import NotificationLevel
from townsquare.groups.models import Invitation, InvitationState
from townsquare.notifications.models import GroupNotificationSetting, Kind, Notification

CENTRE_SIZE = 100


def unread_count(user: User) -> int:
    """The badge: one count on the partial index of unread notifications."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def recent(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("actor", "topic", "post", "group", "event")
        .order_by("-created_at", "-pk")
    )


def visible_now(user: User, community: Community, items: list[Notification]) -> list[Notification]:
    """Drop what the member may no longer see (a topic moved to a private category, a
    group turned secret, a conversation left): a fixed number of queries."""
    category_ids = permissions.visible_category_ids(user, community)
    staff = permissions.is_staff(user)
    group_ids = conversation_ids = invited = None
    if any(item.group_id for item in items):
        group_ids = set(permissions.visible_groups(user, community).values_list("pk", flat=True))
        invited = set(
            Invitation.objects.filter(user=user, state=InvitationState.PENDING).values_list(
                "group_id", flat=True
            )
        )
    if any(item.conversation_id for item in items):
        conversation_ids = set(permissions.visible_conversations(user).values_list("pk", flat=True))
    event_ids = {item.event_id for item in items if item.event_id is not None}
    if event_ids:
        event_ids = set(
            permissions.visible_events(user, community)
            .filter(pk__in=event_ids)
            .values_list("pk", flat=True)
        )
    shown = []
    for item in items:
        if item.kind == Kind.MODERATION:
            shown.append(item)  # about the member's own content, even once removed
        elif item.event_id is not None:
            if item.event_id in event_ids:
                shown.append(item)
        elif item.topic_id is not None:
            topic = item.topic
            deleted = topic.deleted_at is not None or (
                item.post is not None and item.post.deleted_at is not None
            )
            hidden = (topic.hidden_at is not None and topic.author_id != user.pk) or (
                item.post is not None
                and item.post.hidden_at is not None
                and item.post.author_id != user.pk
            )
            if topic.category_id in category_ids and (staff or not (deleted or hidden)):
                shown.append(item)
        elif item.group_id is not None:
            if item.group_id in group_ids or (
                item.kind == Kind.GROUP_INVITATION and item.group_id in invited
            ):
                shown.append(item)
        elif item.conversation_id is not None:
            if item.conversation_id in conversation_ids:
                shown.append(item)
        else:
            shown.append(item)
    return shown


def link(item: Notification) -> str:
    if item.kind == Kind.NOTICE:
        return f"{reverse('moderation:notices')}#notice-{item.data.get('notice', '')}"
    if item.event_id is not None:
        if item.data.get("what") == "follow_up":  # it asks "How was it?" there
            return f"{item.event.get_absolute_url()}#feedback"
        return item.event.get_absolute_url()
    if item.kind == Kind.MODERATION or (item.post_id is None and item.topic_id is not None):
        return item.topic.get_absolute_url() if item.topic_id else reverse("notifications:centre")
    if item.post_id is not None:
        return item.post.get_absolute_url()
    if item.group_id is not None:
        return item.group.get_absolute_url()
    if item.conversation_id is not None:
        return reverse("messaging:conversation", args=[item.conversation_id])
    return reverse("notifications:centre")


def _who(item: Notification) -> str:
    return item.actor.display_name if item.actor_id else _("Someone")


def event_time(value: str) -> str:
    """An event's start (ISO, as stored in the notification) in the active time zone — the
    member's own, in the app and in mail — with the zone's name."""
    local = timezone.localtime(datetime.fromisoformat(value))
    return f"{date_format(local, 'DATETIME_FORMAT')} ({timezone.get_current_timezone_name()})"


def _describe_event(item: Notification) -> str:
    what = item.data.get("what")
    values = {"title": item.data.get("title", ""), "when": event_time(item.data["starts_at"])}
    if what == "published":
        return _("New event: “%(title)s”, %(when)s") % values
    if what == "changed":
        return _("“%(title)s” has changed: it is now %(when)s") % values
    if what == "cancelled":
        return _("“%(title)s” (%(when)s) is cancelled") % values
    if what == "promoted":
        return _("A place opened up: you are going to “%(title)s”, %(when)s") % values
    if what == "reminder" and item.data.get("when") == "hour":
        return _("Starting soon: “%(title)s”, %(when)s") % values
    if what == "reminder":
        return _("Reminder: “%(title)s”, %(when)s") % values
    if what == "follow_up":
        return _("The recording and resources of “%(title)s” are here") % values
    if what == "approved":
        return _("Your proposed event “%(title)s” is approved and published") % values
    if what == "declined":
        values["reason"] = item.data.get("reason", "")
        return _("Your proposed event “%(title)s” was declined: %(reason)s") % values
    return item.get_kind_display()


def describe(item: Notification, count: int = 1) -> str:
    """One line for a notification, or for ``count`` gathered ones."""
    title = item.data.get("title", "")
    name = item.data.get("name", "")
    who = _who(item)
    if item.kind == Kind.REPLY:
        if count > 1:
            return ngettext(
                "%(count)d new reply in “%(title)s”",
                "%(count)d new replies in “%(title)s”",
                count,
            ) % {"count": count, "title": title}
        return _("%(who)s replied in “%(title)s”") % {"who": who, "title": title}
    if item.kind == Kind.WATCHED_POST:
        return ngettext(
            "%(count)d new post in “%(title)s”", "%(count)d new posts in “%(title)s”", count
        ) % {"count": count, "title": title}
    if item.kind == Kind.MENTION:
        return _("%(who)s mentioned you in “%(title)s”") % {"who": who, "title": title}
    if item.kind == Kind.QUOTE:
        return _("%(who)s quoted you in “%(title)s”") % {"who": who, "title": title}
    if item.kind == Kind.REACTION:
        if count > 1:
            return ngettext(
                "%(count)d reaction to your post in “%(title)s”",
                "%(count)d reactions to your post in “%(title)s”",
                count,
            ) % {"count": count, "title": title}
        return _("%(who)s reacted to your post in “%(title)s”") % {"who": who, "title": title}
    if item.kind == Kind.ANSWER_ACCEPTED:
        return _("Your answer in “%(title)s” was accepted") % {"title": title}
    if item.kind == Kind.WATCHED_TOPIC:
        return _("New topic: “%(title)s”") % {"title": title}
    if item.kind == Kind.FOLLOWED_TOPIC:
        return _("%(who)s started “%(title)s”") % {"who": who, "title": title}
    if item.kind == Kind.GROUP_INVITATION:
        return _("%(who)s invited you to the group “%(name)s”") % {"who": who, "name": name}
    if item.kind == Kind.GROUP_REQUEST:
        if count > 1:
            return ngettext(
                "%(count)d request to join “%(name)s”",
                "%(count)d requests to join “%(name)s”",
                count,
            ) % {"count": count, "name": name}
        return _("%(who)s asked to join “%(name)s”") % {"who": who, "name": name}
    if item.kind == Kind.GROUP_APPROVED:
        return _("You are now a member of “%(name)s”") % {"name": name}
    if item.kind == Kind.MESSAGE:
        if count > 1:
            return ngettext(
                "%(count)d new message from %(who)s", "%(count)d new messages from %(who)s", count
            ) % {"count": count, "who": who}
        return _("New message from %(who)s") % {"who": who}
    if item.kind == Kind.NOTICE:
        return _("You have a notice from the moderators")
    if item.event_id is not None:  # both event kinds: the event says what it is about
        return _describe_event(item)
    if item.kind == Kind.MODERATION:
        if item.data.get("action") == "restored":
            return _("A moderator restored your post in “%(title)s”") % {"title": title}
        return _("A moderator removed your post in “%(title)s”") % {"title": title}
    return item.get_kind_display()


@dataclass
class Entry:
    """One line of the centre: the newest notification of a group and how many it gathers."""

    first: Notification
    count: int
    unread: bool
    text: str
    url: str


def centre(user: User, community: Community) -> list[Entry]:
    """The centre's lines, newest first: unread ones of a kind about the same thing are
    gathered into one ("5 new replies in …"). Queries: a fixed number, whatever the length."""
    items = visible_now(user, community, list(recent(user)[:CENTRE_SIZE]))
    groups: dict[tuple[str, bool], list[Notification]] = {}
    for item in items:
        groups.setdefault((item.group_key, item.read_at is None), []).append(item)
    entries = []
    for (_key, unread), members in groups.items():
        first = members[0]
        entries.append(
            Entry(
                first=first,
                count=len(members),
                unread=unread,
                text=describe(first, len(members)),
                url=link(first),
            )
        )
    entries.sort(key=lambda entry: (entry.first.created_at, entry.first.pk), reverse=True)
    return entries


def group_level(user: User, group_id: int) -> int:
    """The member's notification level for a group's discussions (normal when unset)."""
    if not user.is_authenticated:
        return NotificationLevel.NORMAL
    level = (
        GroupNotificationSetting.objects.filter(user=user, group_id=group_id)
        .values_list("level", flat=True)
        .first()
    )
    return NotificationLevel.NORMAL if level is None else level
