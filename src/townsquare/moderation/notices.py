"""Notices to members about moderation actions on them or their content."""

# PLACEHOLDER (owner: H2) — H2's notices (with notifications and appeals) replace this.

from typing import Any

from django.db import models

from townsquare.accounts.models import User
from townsquare.moderation.models import Notice, ReviewItem, Sanction


def send_notice(
    sent_by: User | None,
    member: User,
    *,
    action: str,
    reason: str,
    guideline: str = "",
    subject: models.Model | None = None,
    item: ReviewItem | None = None,
    sanction: Sanction | None = None,
) -> Notice:
    url: Any = getattr(subject, "get_absolute_url", None)
    return Notice.objects.create(
        member=member,
        sent_by=sent_by,
        action=action,
        reason=reason,
        guideline=guideline,
        subject_label=str(subject)[:200] if subject is not None else "",
        subject_url=url() if url else "",
        review_item=item,
        sanction=sanction,
    )
