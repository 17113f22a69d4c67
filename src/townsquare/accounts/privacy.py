"""Members' data: a copy of everything the platform holds about a member (data export),
and erasing a member's account (account deletion). Every write here is an action: it
checks the permission policy, writes in one transaction and leaves one audit entry.

What the export holds and what deletion does with each table that points at a member is
decided below, table by table (``EXPORTED`` and ``NOT_EXPORTED``); a test walks every
relation to ``User`` so that a new model that points at members has to be placed in one
of them. Deletion removes the ``User`` row: the relations decide the rest (see
docs/moderation.md, "Members' data: export and deletion").
"""

import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Replace
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import DataExport, User
from townsquare.core import permissions
from townsquare.core.jobs import once
from townsquare.core.models import ActivityEvent, FailedJob, MailboxStatus, PageView
from townsquare.moderation import audit

# --- What the export holds ---------------------------------------------------------------

#: (model label, field pointing at the member) -> the name of its part of data.json.
EXPORTED: dict[tuple[str, str], str] = {
    ("accounts.Profile", "user"): "profile",
    ("accounts.Follow", "follower"): "following",
    ("accounts.Follow", "followed"): "followers",
    ("accounts.GuidelinesAcceptance", "user"): "guidelines_acceptances",
    ("accounts.ApiToken", "user"): "api_tokens",
    ("accounts.DataExport", "member"): "data_exports",
    ("account.EmailAddress", "user"): "email_addresses",
    ("mfa.Authenticator", "user"): "two_factor_methods",
    ("groups.GroupMembership", "user"): "group_memberships",
    ("groups.JoinRequest", "user"): "group_join_requests",
    ("groups.Invitation", "user"): "group_invitations",
    ("forum.Topic", "author"): "topics",
    ("forum.Post", "author"): "posts",
    ("forum.Post", "mentions"): "posts_mentioning_you",
    ("forum.Reaction", "user"): "reactions",
    ("forum.Bookmark", "user"): "bookmarks",
    ("forum.PollVote", "user"): "poll_votes",
    ("forum.TopicReadState", "user"): "read_state",
    ("forum.CategoryNotificationSetting", "user"): "category_notification_settings",
    ("forum.TagNotificationSetting", "user"): "tag_notification_settings",
    ("forum.Upload", "uploader"): "uploads",
    ("mentoring.MentoringProfile", "user"): "mentoring_profile",
    ("mentoring.MentorRequest", "mentee"): "mentor_requests_made",
    ("mentoring.MentorRequest", "mentor"): "mentor_requests_received",
    ("messaging.Conversation", "started_by"): "conversations_started",
    ("messaging.Participant", "user"): "conversations",
    ("messaging.Message", "author"): "messages_sent",
    ("messaging.Block", "blocker"): "blocked_members",
    ("notifications.Notification", "recipient"): "notifications",
    ("notifications.Preference", "user"): "notification_preferences",
    ("notifications.MemberMute", "user"): "muted_members",
    ("notifications.GroupNotificationSetting", "user"): "group_notification_settings",
    ("notifications.MailSettings", "user"): "email_settings",
    ("onboarding.OnboardingDelivery", "user"): "onboarding",
    ("announcements.AnnouncementDelivery", "user"): "announcements_received",
    ("moderation.Flag", "flagger"): "flags",
    ("moderation.ReviewItem", "author"): "content_reviewed",
    ("moderation.Sanction", "member"): "sanctions",
    ("moderation.Notice", "member"): "moderation_notices",
    ("surveys.SurveyAnswer", "member"): "survey_answers",
    ("core.ActivityEvent", "actor"): "activity",
    ("core.PageView", "user"): "page_views",
    ("analytics.CrmAccount", "member"): "crm_accounts",
    ("events.Event", "created_by"): "events_created",
    ("events.EventHost", "user"): "events_hosted",
    ("events.Registration", "member"): "event_registrations",
    ("events.CalendarFeed", "member"): "calendar_feed",
}

_STAFF_WORK = "staff work done for the community, recorded in the audit log"
#: Relations to a member that the export leaves out, and why.
NOT_EXPORTED: dict[tuple[str, str], str] = {
    ("groups.Group", "members"): "the same rows as groups.GroupMembership",
    ("messaging.Block", "blocked"): "who blocks a member is the blocker's private choice",
    ("notifications.MemberMute", "muted"): "who mutes a member is their private choice",
    ("notifications.Notification", "actor"): "other members' notifications",
    ("forum.Topic", "last_poster"): "derived from posts, which are exported",
    ("forum.PostRevision", "editor"): "earlier versions of posts; the posts are exported",
    ("core.GuidelinesVersion", "published_by"): _STAFF_WORK,
    ("groups.Group", "created_by"): _STAFF_WORK,
    ("groups.JoinRequest", "decided_by"): _STAFF_WORK,
    ("groups.Invitation", "invited_by"): _STAFF_WORK,
    ("forum.Topic", "deleted_by"): _STAFF_WORK,
    ("forum.Post", "deleted_by"): _STAFF_WORK,
    ("forum.Topic", "hidden_by"): _STAFF_WORK,
    ("forum.Post", "hidden_by"): _STAFF_WORK,
    ("forum.ScheduledTopic", "created_by"): _STAFF_WORK,
    ("imports.MemberImport", "created_by"): _STAFF_WORK,
    ("analytics.CrmImport", "created_by"): _STAFF_WORK,
    ("analytics.Goal", "owner"): _STAFF_WORK,
    ("announcements.Announcement", "author"): _STAFF_WORK,
    ("announcements.Announcement", "sent_by"): _STAFF_WORK,
    ("moderation.AuditEntry", "actor"): _STAFF_WORK,
    ("moderation.ReviewItem", "decided_by"): _STAFF_WORK,
    ("moderation.WatchedWord", "created_by"): _STAFF_WORK,
    ("moderation.BlockedDomain", "created_by"): _STAFF_WORK,
    ("moderation.Sanction", "created_by"): _STAFF_WORK,
    ("moderation.Sanction", "lifted_by"): _STAFF_WORK,
    ("moderation.Notice", "sent_by"): _STAFF_WORK,
    ("admin.LogEntry", "user"): _STAFF_WORK,
    ("events.EventSeries", "created_by"): _STAFF_WORK,
    ("events.EventResource", "created_by"): "hosts' work for the event's attendees",
    (
        "events.Registration",
        "checked_in_by",
    ): "hosts' work; the member's own check-in time is exported",
}

#: Columns never written to an export: secrets, and what only proves a secret.
SECRET_FIELDS: dict[str, set[str]] = {
    "accounts.User": {"password"},
    "accounts.ApiToken": {"key_hash", "hint"},
    "mfa.Authenticator": {"data"},
    "events.CalendarFeed": {"token"},
}


def user_relations() -> list[tuple[str, str, Any]]:
    """Every (model label, field name, model) that points at a member, hidden ones too;
    the automatic tables behind many-to-many fields are left to the field itself."""
    found = []
    for relation in User._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and relation.related_model):
            continue
        model = relation.related_model
        if model._meta.auto_created:  # e.g. Post.mentions' table: exported as the field
            continue
        found.append((model._meta.label, relation.field.name, model))
    return found


def _columns(model: type[models.Model]) -> list[str]:
    hidden = SECRET_FIELDS.get(model._meta.label, set())
    return [f.attname for f in model._meta.concrete_fields if f.name not in hidden]


def _rows(model: type[models.Model], field: str, member: User) -> Iterator[dict]:
    rows = model._default_manager.filter(**{field: member}).order_by("pk")
    return rows.values(*_columns(model)).iterator(chunk_size=1000)


def _write_json(out: IO[bytes], member: User) -> None:
    """data.json, written section by section and row by row: a long history never sits in
    memory at once."""

    def put(text: str) -> None:
        out.write(text.encode())

    def dump(value: Any) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)

    account = User.objects.filter(pk=member.pk).values(*_columns(User)).get()
    account["expertise"] = list(member.profile.expertise.values_list("name", flat=True))
    put('{\n"format": "townsquare-data-export-1",\n')
    put(f'"exported_at": {dump(timezone.now())},\n"account": {dump(account)}')
    relations = {(label, field): model for label, field, model in user_relations()}
    for key, section in EXPORTED.items():
        model = relations.get(key)
        if model is None:  # an app that is not installed
            continue
        put(f",\n{dump(section)}: [")
        for number, row in enumerate(_rows(model, key[1], member)):
            put(("," if number else "") + "\n  " + dump(row))
        put("\n]")
    put("\n}\n")


def _copy(zipped: zipfile.ZipFile, name: str, field_file: Any) -> None:
    try:
        with field_file.open("rb") as source, zipped.open(name, "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    except FileNotFoundError:  # a file lost on disk: the rest of the export still goes
        pass


def write_export(out: IO[bytes], member: User) -> None:
    """The zip: data.json, the avatar and every file the member uploaded."""
    from townsquare.forum.models import Upload

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        with zipped.open("data.json", "w", force_zip64=True) as data:
            _write_json(data, member)
        avatar = member.profile.avatar
        if avatar:
            _copy(zipped, f"avatar/{avatar.name.rsplit('/', 1)[-1]}", avatar)
        uploads = Upload.objects.filter(uploader=member).order_by("pk")
        for upload in uploads.only("pk", "file", "original_name").iterator(chunk_size=500):
            _copy(zipped, f"uploads/{upload.pk}-{upload.original_name}", upload.file)


# --- Export actions ------------------------------------------------------------------------


def _wait_text(left: timedelta) -> str:
    hours, minutes = divmod(max(int(left.total_seconds()) // 60, 1), 60)
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def latest_export(member: User) -> DataExport | None:
    return DataExport.objects.filter(member=member).first()


@transaction.atomic
def request_export(actor: User, member: User) -> DataExport:
    """Ask for a copy of everything about ``member``; a background job builds it. One
    request a day (a failed one does not count), so exports cannot load the site."""
    if not permissions.may_export_data(actor, member):
        raise PermissionDenied
    User.objects.select_for_update().filter(pk=member.pk).get()  # one request at a time
    since = timezone.now() - settings.DATA_EXPORT_INTERVAL
    recent = (
        DataExport.objects.filter(member=member, requested_at__gt=since)
        .exclude(status=DataExport.Status.FAILED)
        .first()
    )
    if recent is not None:
        left = recent.requested_at + settings.DATA_EXPORT_INTERVAL - timezone.now()
        raise ValidationError(
            _("You asked for a copy of your data less than a day ago; try again in %(wait)s.")
            % {"wait": _wait_text(left)},
            code="too_soon",
        )
    export = DataExport.objects.create(member=member)

    def enqueue() -> None:
        from townsquare.accounts.tasks import build_data_export

        build_data_export.delay(export.pk)

    transaction.on_commit(enqueue)
    return export


def download_url(export: DataExport) -> str:
    return reverse("download_data_export", args=[export.pk])


def build_export(export_id: int) -> DataExport | None:
    """The job's work: write the zip, store it, mail the member. Idempotent: a ready export
    is left as it is, and the mail goes once."""
    export = DataExport.objects.select_related("member").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return export
    member = export.member
    with tempfile.TemporaryFile() as scratch:
        write_export(scratch, member)
        size = scratch.tell()
        scratch.seek(0)
        with transaction.atomic():
            export = DataExport.objects.select_for_update().get(pk=export_id)
            if export.status != DataExport.Status.PENDING:
                return export
            export.file.save("export.zip", File(scratch), save=False)
            now = timezone.now()
            export.status, export.size = DataExport.Status.READY, size
            export.finished_at = now
            export.expires_at = now + settings.DATA_EXPORT_KEEP
            export.save()
            audit.record(member, "member.data_exported", member, export=export.pk, size=size)
    _mail_ready(export)
    return export


def _mail_ready(export: DataExport) -> None:
    from townsquare.notifications.email import absolute, compose

    with once(f"data-export-ready:{export.pk}") as first:
        if first:
            compose(
                export.member,
                "accounts/mail/export_ready",
                {"export": export, "url": absolute(reverse("data_settings"))},
                stream=None,
            ).send()


def export_failed(export_id: int) -> None:
    """The job gave up: say so on the member's page, so they may ask again."""
    DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).update(
        status=DataExport.Status.FAILED, finished_at=timezone.now()
    )


def delete_expired_exports(now: datetime | None = None) -> int:
    """Daily: remove exports past their time (file and row), and requests stuck for
    longer than an export may live. Returns how many were removed."""
    now = now or timezone.now()
    stale = DataExport.objects.filter(
        Q(expires_at__lt=now)
        | Q(status__in=[DataExport.Status.PENDING, DataExport.Status.FAILED])
        & Q(requested_at__lt=now - settings.DATA_EXPORT_KEEP)
    )
    removed = 0
    for export in stale.iterator():
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed


# --- Account deletion ------------------------------------------------------------------------


class PostsChoice(models.TextChoices):
    KEEP = "keep", _("Keep my posts, shown as by “a former member”")
    REMOVE = "remove", _("Remove my posts and messages")


def former_label(member_id: int) -> str:
    """How records that outlive a member name them: no personal data."""
    return f"member #{member_id}"


@transaction.atomic
def delete_account(
    actor: User,
    member: User,
    *,
    posts: str,
    password: str = "",
    reason: str = "",
) -> None:
    """Erase ``member``'s account: the row and everything personal goes (see the module
    docstring); their posts and messages stay, by "a former member", or go, as ``posts``
    says. A member confirms with their password; an admin acting on a request gives the
    reason, which the audit entry keeps."""
    if not permissions.may_delete_member(actor, member):
        raise PermissionDenied
    if posts not in PostsChoice.values:
        raise ValidationError({"posts": _("Choose what happens to the posts.")})
    if actor.pk == member.pk:
        if not member.has_usable_password():
            raise ValidationError(
                {"password": _("Set a password first (Settings › Password), then confirm with it.")}
            )
        if not member.check_password(password):
            raise ValidationError({"password": _("That is not your password.")})
    elif not reason.strip():
        raise ValidationError({"reason": _("Say why (the member's request) for the record.")})
    member = User.objects.select_for_update().get(pk=member.pk)
    label = former_label(member.pk)
    reindex: list[int] = []
    if posts == PostsChoice.REMOVE:
        reindex = _remove_contributions(member)
    naming = _posts_naming(member)
    _delete_files(member, removing=posts == PostsChoice.REMOVE)
    audit.record(
        actor,
        "member.deleted",
        member,
        reason=reason.strip(),
        target_label=label,
        after={"posts": posts},
    )
    _forget_name(member, label)
    _forget_survey_comments(member)
    _end_sessions(member.pk)
    MailboxStatus.objects.filter(email=member.email.lower()).delete()
    _forget_failed_mail(member.email)
    member.delete()
    reindex += _unname(naming, member.handle)
    if reindex:
        from townsquare.search.index import schedule_indexing

        schedule_indexing(reindex)  # gone posts leave the index, renamed ones change


def _forget_survey_comments(member: User) -> None:
    from townsquare.surveys.actions import forget_comments

    forget_comments(member)


def _posts_naming(member: User) -> list[int]:
    """Other posts that name the member: mentions of them, quotes of their posts."""
    from townsquare.forum.models import Post

    return list(
        Post.objects.filter(Q(mentions=member) | Q(quotes__author=member))
        .exclude(author=member)
        .values_list("pk", flat=True)
        .distinct()
    )


def _unname(post_ids: list[int], handle: str) -> list[int]:
    """Others' posts said @handle or quoted the member by handle: they now say "a former
    member", as plain text (re-cooked once the account is gone, so no link is made)."""
    from townsquare.forum.models import Post
    from townsquare.forum.rendering import render_post

    name = _("a former member")
    mention = re.compile(rf"@{re.escape(handle)}(?![\w.-])", re.IGNORECASE)
    quote = re.compile(rf'(\[quote="){re.escape(handle)}(?=[,"])', re.IGNORECASE)
    changed = []
    for post in Post.objects.filter(pk__in=post_ids).only("pk", "body"):
        body = quote.sub(rf"\g<1>{name}", mention.sub(name, post.body))
        if body != post.body:
            cooked = render_post(body)
            Post.objects.filter(pk=post.pk).update(
                body=body, body_html=cooked.html, text=cooked.text
            )
            changed.append(post.pk)
    return changed


def _remove_contributions(member: User) -> list[int]:
    """Remove the member's posts, topics and messages. A topic they opened goes whole when
    nobody else wrote in it; otherwise its opening post is emptied, so others' replies keep
    their place. Returns the ids of posts whose search rows must change."""
    from townsquare.forum.actions.posting import adjust_category_counts, refresh_topic_stats
    from townsquare.forum.models import Post, PostRevision, Topic
    from townsquare.messaging.models import Conversation, Message

    changed: list[int] = []
    topics = Topic.objects.filter(author=member).annotate(
        others=Count("posts", filter=~Q(posts__author=member))
    )
    for topic in topics:
        ids = list(topic.posts.values_list("pk", flat=True))
        if topic.others == 0:
            changed += ids
            if topic.deleted_at is None:
                live = topic.posts.filter(deleted_at__isnull=True).count()
                adjust_category_counts(topic.category_id, topics=-1, posts=-live)
            topic.delete()
    opening = Post.objects.filter(author=member, number=1)
    changed += list(opening.values_list("pk", flat=True))
    PostRevision.objects.filter(post__in=opening).delete()  # earlier versions of the text
    removed_text = _("(removed by its author)")
    opening.update(body=removed_text, body_html=f"<p>{removed_text}</p>", text=removed_text)
    replies = Post.objects.filter(author=member).exclude(number=1).select_related("topic")
    touched: dict[int, Any] = {}
    for post in replies:
        changed.append(post.pk)
        if post.deleted_at is None and post.topic.deleted_at is None:
            adjust_category_counts(post.topic.category_id, topics=0, posts=-1)
        touched[post.topic_id] = post.topic
        post.delete()
    for topic in touched.values():
        refresh_topic_stats(topic)
    sent = Message.objects.filter(author=member)
    conversations = set(sent.values_list("conversation", flat=True))
    sent.delete()
    for conversation in Conversation.objects.filter(pk__in=conversations):
        last = conversation.messages.order_by("-created_at", "-pk").first()
        if last is None:
            conversation.delete()
        else:
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message=last, last_message_at=last.created_at
            )
    return changed


def _delete_files(member: User, *, removing: bool) -> None:
    """The avatar goes; so do uploads no remaining post uses (all of them, when the posts
    are removed: their posts are gone by now)."""
    from townsquare.forum.models import Upload

    if member.profile.avatar:
        member.profile.avatar.delete(save=False)
    unused = Upload.objects.filter(uploader=member, posts__isnull=True)
    for upload in unused.iterator():
        upload.file.delete(save=False)
        upload.delete()


def _forget_name(member: User, label: str) -> None:
    """Logs keep labels written when things happened ("@alice follows @bob"): say
    ``label`` instead of the member's @handle there. The activity and audit logs are
    append-only; erasing a member is the one change made to them."""
    pattern = re.compile(rf"@{re.escape(member.handle)}(?![\w.-])", re.IGNORECASE)
    mentioning = Q(target_label__icontains=f"@{member.handle}")
    events = models.QuerySet(ActivityEvent).filter(mentioning)
    for pk, text in events.values_list("pk", "target_label").iterator():
        if pattern.search(text):
            models.QuerySet(ActivityEvent).filter(pk=pk).update(
                target_label=pattern.sub(label, text)[:200]
            )
    audit.forget_member(member, label, pattern)
    # Page views keep the address seen: a visit to the member's profile named them.
    profile_path = f"/u/{member.handle}/"
    models.QuerySet(PageView).filter(path__contains=profile_path).update(
        path=Replace("path", Value(profile_path), Value("/u/-/"))
    )


def _end_sessions(member_id: int) -> None:
    """Sign the member out everywhere: their sessions hold nothing but their id, but a
    session is theirs until it is gone."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(member_id):
            store(session_key=session.session_key).delete()


def _forget_failed_mail(address: str) -> None:
    """Mail jobs that gave up keep the message, address and all: drop the member's."""
    from django.db.models.functions import Cast

    failed = FailedJob.objects.annotate(text=Cast("args", models.TextField())).filter(
        text__icontains=address
    )
    failed.delete()
