from townsquare.moderation.models.audit import AuditEntry
from townsquare.moderation.models.flags import (
    Decision,
    Flag,
    FlagReason,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
)
from townsquare.moderation.models.rules import (
    BlockedDomain,
    MatchKind,
    ModerationSettings,
    WatchedWord,
    WordAction,
)
from townsquare.moderation.models.sanctions import Notice, Sanction, SanctionKind

__all__ = [
    "AuditEntry",
    "BlockedDomain",
    "Decision",
    "Flag",
    "FlagReason",
    "MatchKind",
    "ModerationSettings",
    "Notice",
    "ReviewItem",
    "ReviewKind",
    "ReviewStatus",
    "Sanction",
    "SanctionKind",
    "WatchedWord",
    "WordAction",
]
