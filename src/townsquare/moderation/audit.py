"""The audit log: every moderation and admin action, written by the action itself.

``record`` is the one way in. It writes the audit entry and the matching activity event
(the activity log feeds analytics; the audit log answers "who did what, and why"), so an
action calls it once, inside its transaction, and records nothing else for the same step.
"""

import re
from typing import Any

from django.db import models

from townsquare.core import activity
from townsquare.moderation.models import AuditEntry


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return f"@{actor.handle}"


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    target_label: str | None = None,
    **data: Any,
) -> AuditEntry:
    """Append one audit entry for ``action`` (a verb like "post.hidden") by ``actor`` (a
    member, or None for the system) on ``target``. ``before`` and ``after`` hold the
    fields that changed; ``data`` goes to the activity event only. ``target_label``
    replaces ``str(target)`` where that would keep personal data (a deleted member)."""
    if reason:
        data["reason"] = reason
    event = activity.record(actor, action, target, **data)
    return AuditEntry.objects.create(
        created_at=event.created_at,
        actor_id=event.actor_id,
        actor_label=actor_label(actor),
        action=action,
        target_type=event.target_type,
        target_id=event.target_id,
        target_label=(target_label if target_label is not None else event.target_label)[:200],
        reason=reason,
        before=before or {},
        after=after or {},
    )


def forget_member(member: Any, label: str, pattern: "re.Pattern[str]") -> int:
    """Erasing a member (accounts.privacy.delete_account) is the one change ever made to
    the log: entries keep who did what, but say ``label`` ("member #42") where they named
    the member (``pattern`` matches their @handle). Returns how many entries changed."""
    entries = models.QuerySet(AuditEntry).filter(
        models.Q(actor_id=member.pk)
        | models.Q(actor_label__icontains=f"@{member.handle}")
        | models.Q(target_label__icontains=f"@{member.handle}")
    )
    changed = 0
    for pk, actor, target in entries.values_list("pk", "actor_label", "target_label"):
        new_actor, new_target = pattern.sub(label, actor), pattern.sub(label, target)
        if (new_actor, new_target) != (actor, target):
            models.QuerySet(AuditEntry).filter(pk=pk).update(
                actor_label=new_actor[:200], target_label=new_target[:200]
            )
            changed += 1
    return changed
