"""Every action of moderation, trust and safety leaves exactly one audit entry, and the
activity event beside it: one place that lists them all (the retrofitted forum and admin
actions are in test_audit_retrofit.py)."""

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, make_member
from tests.forum.conftest import start_topic
from townsquare.accounts import privacy
from townsquare.accounts.models import Role
from townsquare.core.models import ActivityEvent
from townsquare.forum import actions as forum
from townsquare.moderation import notices
from townsquare.moderation.actions import queue, review, rules, sanctions, trust
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.models import AuditEntry, ReviewItem, ReviewKind
from townsquare.moderation.screening import PostHeld


@pytest.fixture
def cast(guidelines, moderator, bob, general, django_capture_on_commit_callbacks):
    c = SimpleNamespace(moderator=moderator, bob=bob, general=general)
    c.admin = make_member("root", guidelines, role=Role.ADMIN)
    c.alice = make_member("alice", guidelines)
    c.topic = start_topic(bob, general)
    c.post = c.topic.posts.get(number=1)
    c.reply = forum.create_post(bob, c.topic, body="A reply for the moderators to hide.")
    c.committed = lambda: django_capture_on_commit_callbacks(execute=True)
    return c


def _flagged(c) -> ReviewItem:
    flag(c.alice, c.post, reason="spam")
    return ReviewItem.objects.get(kind=ReviewKind.FLAGGED)


def _held(c) -> ReviewItem:
    links = " ".join(f"https://example.com/{n}" for n in range(20))
    newcomer = make_member("newbie", None)
    newcomer.guidelines_version = c.bob.guidelines_version
    newcomer.save(update_fields=["guidelines_version"])
    with pytest.raises(PostHeld) as held:
        forum.create_post(newcomer, c.topic, body=f"Look: {links}")
    return held.value.item


def _decided(decision: str, **extra) -> Callable:
    return lambda c: review.decide(c.moderator, _flagged(c), decision, reason="Spam", **extra)


def _warning(c):
    return sanctions.warn(c.moderator, c.bob, reason="Be kinder.", guideline="be-kind")


def _appeal(c):
    notice = _warning(c).notice_set.get()
    return notices.appeal(c.bob, notice, body="I was quoting someone else.")


def _word(c):
    return rules.add_watched_word(c.moderator, pattern="casino", match="whole", action="block")


def _domain(c):
    return rules.add_blocked_domain(c.moderator, domain="spam.example")


def _exported(c):
    with c.committed():
        privacy.request_export(c.alice, c.alice)


CASES: dict[str, Callable] = {
    "flag.created": _flagged,
    "post.hidden": lambda c: review.hide_content(c.moderator, c.reply, reason="Spam"),
    "post.unhidden": lambda c: (
        review.hide_content(c.moderator, c.reply, reason="Spam"),
        review.unhide_content(c.moderator, c.reply, reason="A mistake"),
    ),
    "topic.hidden": lambda c: review.hide_content(c.moderator, c.topic, reason="Spam"),
    "review.kept": _decided("keep"),
    "review.edited": _decided("edit", body="A cleaner text"),
    "review.hidden": _decided("hide"),
    "review.deleted": _decided("delete"),
    "post.held": _held,
    "queued.approved": lambda c: queue.publish_queued(c.moderator, _held(c)),
    "queued.rejected": lambda c: queue.reject_queued(c.moderator, _held(c), reason="Ads"),
    "member.warned": _warning,
    "member.silenced": lambda c: sanctions.silence(
        c.moderator, c.bob, until=timezone.now() + timedelta(days=3), reason="Cool down."
    ),
    "member.suspended": lambda c: sanctions.suspend(
        c.moderator, c.bob, until=timezone.now() + timedelta(days=3), reason="Spam."
    ),
    "sanction.lifted": lambda c: sanctions.lift(c.moderator, _warning(c), reason="Withdrawn."),
    "notice.appealed": _appeal,
    "member.trust_level_changed": lambda c: trust.set_trust_level(
        c.moderator, c.bob, 2, reason="A helpful regular"
    ),
    "moderation.trust_settings_changed": lambda c: trust.update_trust_settings(
        c.moderator, tl1_posts_read=40
    ),
    "watched_word.added": _word,
    "watched_word.removed": lambda c: rules.remove_watched_word(c.moderator, _word(c)),
    "blocked_domain.added": _domain,
    "blocked_domain.removed": lambda c: rules.remove_blocked_domain(c.moderator, _domain(c)),
    "moderation_settings.changed": lambda c: rules.update_moderation_settings(
        c.moderator, approve_first_posts=2
    ),
    "member.data_exported": _exported,
    "member.deleted": lambda c: privacy.delete_account(
        c.alice, c.alice, posts="keep", password=PASSWORD
    ),
}


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_moderation_action_leaves_exactly_one_audit_entry(cast, action, limits_on):
    CASES[action](cast)
    entry = AuditEntry.objects.get(action=action)  # exactly one
    # Who: the member, "system" for what the rules did, "member #N" once erased.
    assert entry.actor_label.startswith(("@", "system", "member #"))
    assert ActivityEvent.objects.filter(verb=action).count() == 1
