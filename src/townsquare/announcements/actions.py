"""Every write of announcements: drafts (managers), the send, and each member's delivery
(the batch jobs)."""

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import Role, User
from townsquare.announcements import rendering, segments
from townsquare.announcements.models import (
    Announcement,
    AnnouncementDelivery,
    DeliveryStatus,
    Segment,
    Status,
)
from townsquare.core import activity, permissions
from townsquare.core.mail import bouncing
from townsquare.groups.models import Group
from townsquare.moderation import audit
from townsquare.notifications import email
from townsquare.notifications.models import MailSettings, Stream
from townsquare.onboarding.placeholders import check

logger = logging.getLogger(__name__)

#: Members per batch job.
CHUNK = 200
MAX_DAYS = 3650
SUBJECT_MAX = 200
BODY_MAX = 50000

FIELDS = ("subject", "body", *segments.SEGMENT_FIELDS)


def _require(actor: User | None) -> None:
    """``None`` is the system (a management command, the demo seeder)."""
    if actor is not None:
        permissions.require(permissions.may_send_announcements(actor))


def validate_segment(values: dict[str, Any]) -> dict[str, list[str]]:
    """Errors of the segment part, by field; the fields a segment does not use are
    cleared in ``values``."""
    errors: dict[str, list[str]] = {}
    kind = values.get("segment")
    if kind not in Segment.values:
        return {"segment": [_("Choose who receives the announcement.")]}
    kept = {
        Segment.GROUP: {"segment_group"},
        Segment.ROLE: {"segment_role"},
        Segment.JOINED_WITHIN: {"segment_days"},
        Segment.INACTIVE_FOR: {"segment_days"},
        Segment.CUSTOM_FIELD: {"segment_field", "segment_value"},
    }.get(kind, set())
    empty = {"segment_group": None, "segment_role": "", "segment_days": None}
    for field in segments.SEGMENT_FIELDS[1:]:
        if field not in kept:
            values[field] = empty.get(field, "")
    if kind == Segment.GROUP and not isinstance(values.get("segment_group"), Group):
        errors["segment_group"] = [_("Choose a group.")]
    if kind == Segment.ROLE and values.get("segment_role") not in Role.values:
        errors["segment_role"] = [_("Choose a role.")]
    if kind in {Segment.JOINED_WITHIN, Segment.INACTIVE_FOR}:
        days = values.get("segment_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
            errors["segment_days"] = [
                _("The number of days is a number from 1 to %(max)s.") % {"max": MAX_DAYS}
            ]
    if kind == Segment.CUSTOM_FIELD:
        values["segment_field"] = (values.get("segment_field") or "").strip()
        values["segment_value"] = (values.get("segment_value") or "").strip()
        if not values["segment_field"]:
            errors["segment_field"] = [_("Name the profile field.")]
        if not values["segment_value"]:
            errors["segment_value"] = [_("Give the value the field must have.")]
    return errors


def validate(values: dict[str, Any]) -> None:
    """Raise a ValidationError naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    limits = {"subject": SUBJECT_MAX, "body": BODY_MAX}
    for field, limit in limits.items():
        text = values.get(field) or ""
        if not text.strip():
            errors[field] = [_("This field is required.")]
        elif len(text) > limit:
            errors[field] = [_("At most %(limit)s characters, please.") % {"limit": f"{limit:,}"}]
        elif problems := check(text):
            errors[field] = problems
    errors.update(validate_segment(values))
    if errors:
        raise ValidationError(errors)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown announcement fields {sorted(unknown)}")
    values = {
        "segment": Segment.EVERYONE,
        "segment_group": None,
        "segment_role": "",
        "segment_days": None,
        "segment_field": "",
        "segment_value": "",
        **values,
    }
    values["subject"] = " ".join((values.get("subject") or "").split())
    values["segment_role"] = values["segment_role"] or ""
    values["segment_field"] = values["segment_field"] or ""
    values["segment_value"] = values["segment_value"] or ""
    validate(values)
    return values


def _require_draft(announcement: Announcement) -> None:
    if announcement.status != Status.DRAFT:
        raise ValidationError(_("This announcement was sent; it can no longer be changed."))


@transaction.atomic
def create_announcement(actor: User | None, **values: Any) -> Announcement:
    _require(actor)
    values = _clean(values)
    announcement = Announcement.objects.create(author=actor, **values)
    activity.record(actor, "announcement.created", announcement, segment=announcement.segment)
    return announcement


@transaction.atomic
def update_announcement(
    actor: User | None, announcement: Announcement, **values: Any
) -> Announcement:
    """Change a draft; the fields not given stay as they are."""
    _require(actor)
    _require_draft(announcement)
    current = {field: getattr(announcement, field) for field in FIELDS}
    values = _clean({**current, **values})
    for field, value in values.items():
        setattr(announcement, field, value)
    # A conditional update: a draft that was sent meanwhile is not changed.
    changed = Announcement.objects.filter(pk=announcement.pk, status=Status.DRAFT).update(
        updated_at=timezone.now(), **values
    )
    if not changed:
        raise ValidationError(_("This announcement was sent; it can no longer be changed."))
    activity.record(actor, "announcement.changed", announcement, segment=announcement.segment)
    return announcement


@transaction.atomic
def delete_announcement(actor: User | None, announcement: Announcement) -> None:
    """Only a draft: what was sent stays, with its deliveries, for the record."""
    _require(actor)
    _require_draft(announcement)
    activity.record(actor, "announcement.deleted", announcement)
    Announcement.objects.filter(pk=announcement.pk, status=Status.DRAFT).delete()


def send_test(actor: User, announcement: Announcement) -> None:
    """Send the announcement, rendered for the manager and marked [Test], to the manager
    only. Recorded as an event; it is not a delivery."""
    _require(actor)
    try:
        validate_email(actor.email)
        message = rendering.compose(actor, announcement, test=True)
    except ValueError as error:  # placeholders, an address the server would refuse
        raise ValidationError(str(error)) from error
    with transaction.atomic():
        message.send()  # queued; leaves when this transaction commits
        activity.record(actor, "announcement.test_sent", announcement)


def send_announcement(actor: User | None, announcement: Announcement) -> int:
    """Fix the recipients — the segment's members now — as queued delivery rows, mark the
    announcement as sending and queue a batch job per CHUNK of them once this commits.
    Returns the number of recipients. Sending twice is refused: only a draft is sent."""
    _require(actor)
    _require_draft(announcement)
    validate({field: getattr(announcement, field) for field in FIELDS})
    with transaction.atomic():
        now = timezone.now()
        ids = list(segments.resolve(announcement, now).order_by("pk").values_list("pk", flat=True))
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise ValidationError(_("No member matches this segment: nobody would receive it."))
        claimed = Announcement.objects.filter(pk=announcement.pk, status=Status.DRAFT).update(
            status=Status.SENDING,
            send_started_at=now,
            recipient_count=len(ids),
            sent_by=actor,
            updated_at=now,
        )
        if not claimed:
            raise ValidationError(_("This announcement is being sent already."))
        AnnouncementDelivery.objects.bulk_create(
            [
                AnnouncementDelivery(announcement=announcement, user_id=pk, created_at=now)
                for pk in ids
            ],
            batch_size=1000,
        )
        announcement.refresh_from_db()
        audit.record(
            actor,
            "announcement.send_started",
            announcement,
            before={"status": Status.DRAFT},
            after={"status": Status.SENDING, "segment": announcement.segment},
            recipients=len(ids),
        )
        _enqueue(announcement, ids)
    return len(ids)


def _enqueue(announcement: Announcement, user_ids: Sequence[int]) -> None:
    from townsquare.announcements.tasks import send_batch

    for start in range(0, len(user_ids), CHUNK):
        chunk = list(user_ids[start : start + CHUNK])
        transaction.on_commit(lambda chunk=chunk: send_batch.delay(announcement.pk, chunk))


def resume(announcement: Announcement) -> int:
    """Queue batch jobs again for the deliveries still queued (a broker that lost jobs):
    the claim makes this safe to do while the first jobs run. Returns how many."""
    ids = list(
        announcement.deliveries.filter(status=DeliveryStatus.QUEUED)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    with transaction.atomic():
        _enqueue(announcement, ids)
    if not ids:
        finish_if_done(announcement.pk)
    return len(ids)


# --- Deliveries (the batch jobs) ------------------------------------------------------


def _settle(delivery_id: int, status: str, reason: str) -> bool:
    """Mark a still-queued delivery; False if another run decided it first."""
    return bool(
        AnnouncementDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
            status=status, reason=reason[:500], at=timezone.now()
        )
    )


def _deliver(delivery: AnnouncementDelivery, announcement: Announcement) -> str | None:
    """Claim one delivery and mail it, in one transaction: the mail is handed to the mail
    job only when the claim commits. A mail that cannot be made fails alone, with its
    reason. None: another run has it."""
    user = delivery.user
    with transaction.atomic():
        if not _settle(delivery.pk, DeliveryStatus.SENT, ""):
            return None
        try:
            validate_email(user.email)  # Django would pass "bad@@example" to the server
            with transaction.atomic():  # a mail that fails leaves nothing queued behind
                rendering.compose(user, announcement).send()
        except DatabaseError:
            raise  # transient: the job tries the batch again
        except Exception as error:  # an invalid address, a broken template: this mail only
            reason = f"{type(error).__name__}: {' '.join(str(error).split())}"
            logger.error(
                "Announcement %s could not be sent to member %s: %s",
                announcement.pk,
                user.pk,
                reason,
            )
            AnnouncementDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.FAILED, reason=reason[:500]
            )
            activity.record(
                None, "announcement.failed", announcement, member=user.pk, reason=reason[:200]
            )
            return DeliveryStatus.FAILED
    return DeliveryStatus.SENT


def _skip_reason(user: User, unsubscribed: set[int], bad_addresses: set[str]) -> str:
    if not user.is_active:
        return "inactive"
    if not user.email:
        return "no address"
    if user.pk in unsubscribed:
        return "unsubscribed"
    if user.email.strip().lower() in bad_addresses:
        return "bouncing"
    return ""


def send_batch(announcement_id: int, user_ids: Sequence[int]) -> dict[str, int]:
    """Mail the still-queued deliveries of these members (the job ``send_batch``). Who
    may be mailed is checked now: a member who unsubscribed or whose address started
    bouncing since the send is skipped, with the reason. A fixed number of queries for the
    batch, then a few per mail; running it twice mails nobody twice."""
    counts = {DeliveryStatus.SENT: 0, DeliveryStatus.FAILED: 0, DeliveryStatus.SKIPPED: 0}
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None:
        return counts
    rows = list(
        announcement.deliveries.filter(user_id__in=list(user_ids), status=DeliveryStatus.QUEUED)
        .select_related("user")
        .order_by("user_id")
    )
    users = [row.user for row in rows]
    reachable = {user.pk for user in email.mailable(users, Stream.ANNOUNCEMENTS)}
    ids = [user.pk for user in users]
    unsubscribed = set(
        MailSettings.objects.filter(user__in=ids, announcements=False).values_list(
            "user_id", flat=True
        )
    )
    bad_addresses = bouncing(user.email for user in users if user.email)
    for row in rows:
        if row.user_id in reachable:
            result = _deliver(row, announcement)
        else:
            reason = _skip_reason(row.user, unsubscribed, bad_addresses) or "not mailable"
            result = (
                DeliveryStatus.SKIPPED if _settle(row.pk, DeliveryStatus.SKIPPED, reason) else None
            )
        if result is not None:
            counts[result] += 1
    finish_if_done(announcement.pk)
    return counts


def finish_if_done(announcement_id: int) -> bool:
    """Sending → sent once no delivery is queued; recorded once (a conditional update)."""
    if AnnouncementDelivery.objects.filter(
        announcement_id=announcement_id, status=DeliveryStatus.QUEUED
    ).exists():
        return False
    with transaction.atomic():
        done = Announcement.objects.filter(pk=announcement_id, status=Status.SENDING).update(
            status=Status.SENT, send_finished_at=timezone.now()
        )
        if done:
            announcement = Announcement.objects.get(pk=announcement_id)
            from townsquare.announcements.queries import delivery_counts

            activity.record(
                None, "announcement.sent", announcement, **delivery_counts(announcement)
            )
    return bool(done)
