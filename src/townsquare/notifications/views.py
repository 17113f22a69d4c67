"""The notification centre, the header badge, preferences and mutes. Thin: read through
``notifications.queries``, change through ``notifications.actions``. Someone else's
notification answers 404, like one that does not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core import mail, permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.queries import community_for
from townsquare.forum.models import (
    CategoryNotificationSetting,
    NotificationLevel,
    TagNotificationSetting,
    TopicReadState,
)
from townsquare.notifications import actions, email, queries
from townsquare.notifications.forms import MailSettingsForm
from townsquare.notifications.models import (
    FIXED_CHANNELS,
    Channel,
    GroupNotificationSetting,
    Kind,
    MemberMute,
    Notification,
    Stream,
)


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    entries = queries.centre(request.user, community_for(request))
    unread = sum(entry.count for entry in entries if entry.unread)
    return render(request, "notifications/centre.html", {"entries": entries, "unread": unread})


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    """The header's unread count, fetched by htmx after the page and every 45 seconds."""
    count = queries.unread_count(request.user)
    return render(request, "notifications/badge.html", {"count": count})


@login_required
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Following a notification marks it (and those gathered with it) read."""
    item = get_object_or_404(
        Notification.objects.select_related("topic", "post", "group"),
        pk=notification_id,
        recipient=request.user,
    )
    if not queries.visible_now(request.user, community_for(request), [item]):
        raise Http404
    actions.mark_read(request.user, [item.pk])
    return redirect(queries.link(item))


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``) or all read."""
    notification_id = request.POST.get("id")
    if notification_id:
        if (
            not notification_id.isdigit()
            or not Notification.objects.filter(
                pk=int(notification_id), recipient=request.user
            ).exists()
        ):
            raise Http404
        actions.mark_read(request.user, [int(notification_id)])
    else:
        actions.mark_read(request.user)
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications:centre")


def _read_channels(data, kinds: list[str]) -> dict[str, str]:
    return {
        kind: data.get(f"channel_{kind}")
        for kind in kinds
        if data.get(f"channel_{kind}") in Channel.values and kind not in FIXED_CHANNELS
    }


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        actions.set_preferences(user, _read_channels(request.POST, Kind.values))
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:preferences")
    current = email.mail_settings(user)
    form = MailSettingsForm(
        initial={
            "digest": current.digest,
            "digest_hour": current.digest_hour,
            "announcements": current.announcements,
            "onboarding": current.onboarding,
            "event_reminders": current.event_reminders,
            "analytics_report": current.analytics_report,
        },
        user=user,
    )
    return _preferences_page(request, form)


def _preferences_page(request: HttpRequest, form: MailSettingsForm, status: int = 200):
    user = request.user
    chosen = actions.channel_choices(user)
    muted = NotificationLevel.MUTED
    context = {
        "mail_form": form,
        "bouncing": bool(mail.bouncing([user.email])),
        "rows": [
            (kind, label, chosen[kind])
            for kind, label in Kind.choices
            if kind not in FIXED_CHANNELS
        ],
        "channels": Channel.choices,
        "members": MemberMute.objects.filter(user=user).select_related("muted"),
        "topics": TopicReadState.objects.filter(
            user=user,
            notification_level=muted,
            topic__in=permissions.reachable_topics(user, community_for(request)),
        ).select_related("topic"),
        "categories": CategoryNotificationSetting.objects.filter(
            user=user, level=muted
        ).select_related("category"),
        "tags": TagNotificationSetting.objects.filter(user=user, level=muted).select_related("tag"),
        "groups": GroupNotificationSetting.objects.filter(user=user).select_related("group"),
    }
    return render(request, "notifications/preferences.html", context, status=status)


@login_required
@require_POST
def unmute(request: HttpRequest, what: str, object_id: int) -> HttpResponse:
    """Undo a mute listed on the settings page (back to normal)."""
    user = request.user
    normal = NotificationLevel.NORMAL
    if what == "member":
        MemberMute.objects.filter(user=user, muted_id=object_id).delete()
    elif what == "topic":
        TopicReadState.objects.filter(user=user, topic_id=object_id).update(
            notification_level=normal
        )
    elif what == "category":
        CategoryNotificationSetting.objects.filter(user=user, category_id=object_id).delete()
    elif what == "tag":
        TagNotificationSetting.objects.filter(user=user, tag_id=object_id).delete()
    elif what == "group":
        GroupNotificationSetting.objects.filter(user=user, group_id=object_id).delete()
    else:
        raise Http404
    return redirect("notifications:preferences")


@login_required
@require_POST
def mute_member(request: HttpRequest, handle: str) -> HttpResponse:
    member = get_object_or_404(
        permissions.visible_members(request.user, community_for(request)), handle=handle
    )
    if request.POST.get("undo"):
        actions.unmute_member(request.user, member)
        messages.success(request, _("You will hear about %(name)s again.") % {
            "name": member.display_name})  # fmt: skip
    else:
        actions.mute_member(request.user, member)
        messages.success(request, _("You will no longer be notified about %(name)s.") % {
            "name": member.display_name})  # fmt: skip
    return redirect("member_detail", member.handle)


@login_required
@require_POST
def group_level(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(
        permissions.visible_groups(request.user, community_for(request)), slug=slug
    )
    try:
        level = int(request.POST.get("level", ""))
    except ValueError:
        level = -1
    if level not in NotificationLevel.values:
        raise Http404
    actions.set_group_level(request.user, group, level)
    messages.success(request, _("Your notification level for this group was saved."))
    return redirect(group.get_absolute_url())


@login_required
def manage_defaults(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_change_settings(request.user))
    if request.method == "POST":
        actions.set_default_preferences(request.user, _read_channels(request.POST, Kind.values))
        messages.success(request, _("The default notification settings were saved."))
        return redirect("notifications:manage_defaults")
    defaults = actions.default_channels()
    context = {
        "rows": [
            (kind, label, defaults[kind])
            for kind, label in Kind.choices
            if kind not in FIXED_CHANNELS
        ],
        "channels": Channel.choices,
    }
    return render(request, "notifications/manage_defaults.html", context)


@area(OPEN)  # reached from a mail, signed in or not, in every access mode
@csrf_exempt  # the signed token is the credential; mail providers post without cookies
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every community mail. GET asks to confirm (link scanners follow links);
    POST unsubscribes — from the page's button, or from the mail program's one-click
    ``List-Unsubscribe=One-Click`` (RFC 8058)."""
    found = email.read_unsubscribe_token(token)
    user = None
    if found is not None:
        user = User.objects.filter(pk=found[0], is_active=True).first()
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    _, stream, kind = found
    context = {"stream": Stream(stream).label, "member": user}
    if kind in Kind.values:
        context["kind"] = Kind(kind).label
    if request.method == "POST":
        actions.unsubscribe(user, stream, kind)
        return render(request, "notifications/unsubscribed.html", context)
    return render(request, "notifications/unsubscribe.html", context)


@login_required
@require_POST
def mail_settings(request: HttpRequest) -> HttpResponse:
    """The digest and mailings part of the notification settings page."""
    form = MailSettingsForm(request.POST, user=request.user)
    if not form.is_valid():
        return _preferences_page(request, form, status=400)
    actions.set_mail_settings(request.user, **form.cleaned_data)
    messages.success(request, _("Your mail settings were saved."))
    return redirect("notifications:preferences")


@login_required
@require_POST
def retry_address(request: HttpRequest) -> HttpResponse:
    """The member fixed their mailbox: mail the address again until it bounces anew."""
    mail.retry_address(request.user.email)
    messages.success(request, _("We will send mail to %(address)s again.") % {
        "address": request.user.email})  # fmt: skip
    return redirect("notifications:preferences")
