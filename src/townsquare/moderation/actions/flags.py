"""Flagging: members (and the screening rules) point moderators at a post, a topic, a
profile or a message. Flags on the same thing gather on one pending review item."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.core.permissions.community import STAFF_ROLES
from townsquare.forum.models import Post, Topic
from townsquare.moderation import audit, limits
from townsquare.moderation.actions.review import hide_content
from townsquare.moderation.models import Flag, FlagReason, ReviewItem, ReviewKind, ReviewStatus
from townsquare.moderation.queries import may_see_target, moderation_settings

FLAG_NOTE_MAX = 1000


def content_author(target: models.Model) -> User | None:
    """Whose content ``target`` is: they get the notices about it."""
    if isinstance(target, User):
        return target
    return getattr(target, "author", None)


def _pending_item(target: models.Model, author: User | None) -> ReviewItem:
    """The pending review item of ``target``, created if there is none (locked)."""
    target_type = ContentType.objects.get_for_model(target)
    lookup = {
        "kind": ReviewKind.FLAGGED,
        "status": ReviewStatus.PENDING,
        "target_type": target_type,
        "target_id": str(target.pk),
    }
    item = ReviewItem.objects.select_for_update().filter(**lookup).first()
    if item is not None:
        return item
    try:
        with transaction.atomic():
            return ReviewItem.objects.create(author=author, **lookup)
    except IntegrityError:  # flagged by two members at the same moment
        return ReviewItem.objects.select_for_update().get(**lookup)


def _hide_if_flagged_enough(item: ReviewItem, target: models.Model) -> None:
    """Enough flags from trusted members (staff always count) hide a post or topic until
    a moderator decides. The system hides it: a second action, with its own entry."""
    if not isinstance(target, Post | Topic) or target.hidden_at is not None or item.auto_hidden:
        return
    config = moderation_settings()
    if not config.hide_after_flags:
        return
    trusted = item.flags.filter(
        Q(flagger__trust_level__gte=config.hide_flagger_trust_level)
        | Q(flagger__role__in=STAFF_ROLES)
    ).count()
    if trusted < config.hide_after_flags:
        return
    reason = _("Hidden after flags from members of the community, until a moderator reviews it.")
    hide_content(None, target, reason=reason, item=item)
    ReviewItem.objects.filter(pk=item.pk).update(auto_hidden=True)


@transaction.atomic
def flag(
    actor: User | None,
    target: models.Model,
    *,
    reason: str,
    note: str = "",
    signals: list[dict[str, Any]] | None = None,
) -> Flag:
    """Flag ``target`` for review. ``actor=None`` is the screening rules, which say why in
    ``signals``. A member flags a thing once; flagging it again changes nothing."""
    author = content_author(target)
    if actor is not None:
        permissions.refuse_if_silenced(actor)
        if not permissions.may_flag(actor) or not may_see_target(actor, target):
            raise PermissionDenied
        if author is not None and author.pk == actor.pk:
            raise ValidationError(_("You cannot flag your own content."))
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Choose why you are flagging this.")})
    note = note.strip()
    if reason == FlagReason.OTHER and actor is not None and not note:
        raise ValidationError({"note": _("Tell the moderators what is wrong.")})
    if len(note) > FLAG_NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(max)d characters.") % {"max": FLAG_NOTE_MAX}}
        )
    item = _pending_item(target, author)
    if actor is not None and (existing := item.flags.filter(flagger=actor).first()):
        return existing
    limits.check_rate(actor, "flag")
    created = Flag.objects.create(item=item, flagger=actor, reason=reason, note=note)
    changes: dict[str, Any] = {"flag_count": F("flag_count") + 1}
    if signals:
        changes["signals"] = [*item.signals, *signals]
    ReviewItem.objects.filter(pk=item.pk).update(**changes)
    audit.record(actor, "flag.created", target, reason=note, after={"reason": reason}, item=item.pk)
    _hide_if_flagged_enough(item, target)
    return created
