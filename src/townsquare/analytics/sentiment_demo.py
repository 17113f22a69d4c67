"""The demo's sentiment: every demo post scored, so the sentiment page shows something on
first open. Idempotent: the incremental run scores only posts not scored yet, so a second
call does nothing; called again after the generated history, it scores that too."""

from townsquare.analytics import sentiment_rollup
from townsquare.analytics.models import PostSentiment


def load() -> dict[str, int]:
    """Score the posts not scored yet; the counts, or {} when there was nothing to do."""
    if not sentiment_rollup.score_recent():
        return {}
    scores = PostSentiment.objects.all()
    return {
        "posts": scores.count(),
        "negative": scores.filter(score__lt=-0.05).count(),
        "positive": scores.filter(score__gt=0.05).count(),
    }
