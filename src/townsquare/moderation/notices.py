"""Notices to members about moderation of them or their content.

PLACEHOLDER (owner: H2): the minimal ``send_notice`` the approval queue needs; H2's module
(which also notifies the member and handles appeals) replaces this file.
"""

from townsquare.accounts.models import User
from townsquare.moderation.models import Notice, ReviewItem, Sanction


def send_notice(  # PLACEHOLDER (owner: H2)
    sent_by: User | None,
    member: User,
    *,
    action: str,
    reason: str,
    guideline: str = "",
    subject: object | None = None,
    item: ReviewItem | None = None,
    sanction: Sanction | None = None,
) -> Notice:
    return Notice.objects.create(
        member=member,
        sent_by=sent_by,
        action=action,
        reason=reason,
        guideline=guideline,
        subject_label=str(subject)[:200] if subject is not None else "",
        review_item=item,
        sanction=sanction,
    )
