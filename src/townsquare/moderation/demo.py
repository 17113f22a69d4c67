"""The demo's moderation, so every moderation page shows something on first open: watched
words in English, Chinese and Polish, a blocked domain, members at several trust levels,
flags waiting in the review queue (one post hidden by them), a decided flag with a warning
and its notice, and a newcomer's post held for approval. Written through the same actions
as everything else; runs once (skipped when any watched word exists)."""

from django.contrib.auth.models import AnonymousUser

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.core import permissions
from townsquare.core.queries import current_guidelines, get_community
from townsquare.forum import actions as forum
from townsquare.moderation.actions import flags, review, rules, trust
from townsquare.moderation.guidelines import guideline_sections
from townsquare.moderation.models import FlagReason, ReviewItem, ReviewStatus, WatchedWord
from townsquare.moderation.screening import PostHeld

# (pattern, match, action, replacement)
WORDS = [
    ("casino", "whole", "block", ""),
    ("免费领取", "plain", "approve", ""),
    ("crypto giveaway", "plain", "approve", ""),
    ("idiot", "whole", "flag", ""),
    ("kurwa", "whole", "replace", "k***a"),
    (r"\+?\d{2,3}[ -]?\d{3}[ -]?\d{3}[ -]?\d{3}", "regex", "flag", ""),
]
HELD_POST = (
    "Great question! I compared the three plans here: https://deals.example.com/a, "
    "https://deals.example.com/b and https://deals.example.com/c. Sign up with my code."
)


def _section(prefix: str) -> str:
    """The anchor of the guidelines section whose title starts with ``prefix``."""
    return next((a for a, title in guideline_sections() if title.startswith(prefix)), "")


def load() -> dict[str, int] | None:
    if WatchedWord.objects.exists():
        return None
    moderator = User.objects.filter(email__iexact="moderator@example.com").first()
    admin = User.objects.filter(email__iexact="admin@example.com").first()
    guidelines = current_guidelines()
    if moderator is None or admin is None or guidelines is None:
        return None
    for pattern, match, action, replacement in WORDS:
        rules.add_watched_word(
            moderator, pattern=pattern, match=match, action=action, replacement=replacement
        )
    rules.add_blocked_domain(moderator, domain="cheap-pills.example", note="Spam wave")

    # The longest-standing demo members have earned trust; the newest are still new.
    members = list(User.objects.filter(role=Role.MEMBER, profile__bio__gt="").order_by("pk"))
    for index, member in enumerate(members[:12]):
        level = 3 if index == 0 else 2 if index < 4 else 1
        trust.set_trust_level(
            admin, member, level, reason="Demo: an active member since the start", lock=False
        )

    # Public posts by members, newest first: what the flags point at.
    public = permissions.visible_posts(AnonymousUser(), get_community())
    posts = list(
        public.filter(author__role=Role.MEMBER, is_anonymous=False, number__gt=1)
        .select_related("author", "topic__category")
        .order_by("-created_at")[:40]
    )
    flaggers = members[:12]
    targets = [p for p in posts if p.author not in flaggers][:3]
    if len(targets) == 3 and len(flaggers) >= 4:
        spam, off_topic, rude = targets
        # Three trusted members flag the same post: it is hidden until a moderator decides.
        for flagger in flaggers[:3]:
            flags.flag(flagger, spam, reason=FlagReason.SPAM)
        flags.flag(
            flaggers[3], off_topic, reason=FlagReason.OFF_TOPIC,
            note="This belongs in the product ideas category.",
        )  # fmt: skip
        flags.flag(
            flaggers[1], rude.author, reason=FlagReason.OTHER, note="Profile links to a shop."
        )
        flags.flag(flaggers[2], rude, reason=FlagReason.GUIDELINE)
        item = ReviewItem.objects.get(
            status=ReviewStatus.PENDING, target_id=str(rude.pk), target_type__model="post"
        )
        review.decide(
            moderator, item, "hide", reason="Personal remarks about another member.",
            guideline=_section("Be kind"), sanction="warn",
        )  # fmt: skip

    # A newcomer's first reply with three links waits for approval.
    newcomer = account_actions.register_member(
        email="newcomer@members.example.com", handle="new_arrival",
        display_name="New Arrival", password=None,
    )  # fmt: skip
    account_actions.accept_guidelines(newcomer, guidelines)
    held = 0
    topic = next((p.topic for p in posts), None)
    if topic is not None:
        try:
            forum.create_post(newcomer, topic, body=HELD_POST)
        except PostHeld:
            held = 1
    return {
        "words": len(WORDS),
        "pending": ReviewItem.objects.filter(status=ReviewStatus.PENDING).count(),
        "held": held,
        "hidden": ReviewItem.objects.filter(status=ReviewStatus.PENDING, auto_hidden=True).count(),
    }
