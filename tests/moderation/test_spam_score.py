"""The spam score: link density, repeated text, new accounts, mentions, watched words, and
pluggable checks (an exception in one never stops a post)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from tests.forum.conftest import start_topic
from townsquare.moderation import screening
from townsquare.moderation.actions import rules
from townsquare.moderation.models import AuditEntry, ReviewItem
from townsquare.moderation.screening import SpamVerdict

pytestmark = pytest.mark.django_db

PROSE = (
    "We met on Saturday to plan the garden. Everyone brought seeds, and we agreed to water "
    "the beds in turns. Next month we will build a small shed for the tools."
)


def score(author, text, kind=screening.REPLY) -> screening.Screening:
    return screening.evaluate(author, text=text, kind=kind)


def links(count: int) -> str:
    return "\n".join(f"https://shop{n}.example/buy" for n in range(count))


def aged(user, days: int, level: int):
    user.date_joined = timezone.now() - timedelta(days=days)
    user.trust_level = level
    user.save(update_fields=["date_joined", "trust_level"])
    return user


def test_ordinary_writing_scores_low(member):
    result = score(member, PROSE)
    assert result.spam_score < 0.3
    assert result.spam_reasons == ["a new account"]
    assert score(aged(member, 400, 2), PROSE).spam_score == 0


def test_many_links_in_few_words_score_high_for_a_new_account(member):
    result = score(member, "Great deals " + links(8))
    assert result.spam_score >= 0.8
    assert "8 links in 2 words" in result.spam_reasons
    assert result.hold[-1]["rule"] == "spam_score"


def test_the_same_links_weigh_less_from_a_trusted_member(member):
    trusted = aged(member, 400, 3)
    assert score(trusted, PROSE + "\n" + links(4)).spam_score < 0.5


def test_repeated_text_and_characters_raise_the_score(member):
    trusted = aged(member, 400, 2)
    repeated = score(trusted, "Buy now and save big! " * 30)
    assert repeated.spam_score >= 0.5 and "repeated text" in repeated.spam_reasons
    shouting = score(trusted, "Look here!!!!!!!!!!!!!!!!!!!!")
    assert "a character repeated many times" in shouting.spam_reasons
    chinese = score(trusted, "我们周末去公园散步，看到很多人在放风筝，孩子们玩得很开心。" * 1)
    assert chinese.spam_score == 0


def test_many_mentions_and_watched_words_count(member, moderator):
    many = screening.builtin_spam_score(member, PROSE, links=0, mentions=12, word_hits=0)
    assert "mentions: 12" in many.reasons
    rules.add_watched_word(moderator, pattern="garden", match="whole", action="flag")
    assert "watched words" in score(member, PROSE).spam_reasons


def fifty_fifty(author, text, kind) -> SpamVerdict:
    return SpamVerdict(0.5, [f"external: {kind}"])


def broken(author, text, kind) -> SpamVerdict:
    raise ConnectionError("the service is down")


def test_pluggable_checks_combine_with_the_built_in_score(member, bob, settings):
    settings.MODERATION_SPAM_CHECKS = [f"{__name__}.fifty_fifty"]
    result = score(aged(member, 400, 2), PROSE)
    assert result.spam_score == 0.5
    assert result.spam_reasons == ["external: reply"]
    assert result.flag == [{"rule": "spam_score", "detail": "0.50: external: reply"}]
    combined = score(bob, PROSE)  # a new account (0.2) and the check (0.5)
    assert combined.spam_score == pytest.approx(0.6)


def test_a_failing_check_is_logged_and_does_not_block(member, general, settings, caplog):
    settings.MODERATION_SPAM_CHECKS = [f"{__name__}.broken", f"{__name__}.no_such_check"]
    topic = start_topic(member, general, body=PROSE)
    assert topic.pk
    assert "the service is down" in caplog.text
    assert "no_such_check' cannot be imported" in caplog.text


def test_a_score_over_the_flag_threshold_publishes_and_flags_as_spam(member, general, settings):
    settings.MODERATION_SPAM_CHECKS = [f"{__name__}.fifty_fifty"]
    topic = start_topic(aged(member, 400, 2), general, body=PROSE)
    item = ReviewItem.objects.get(kind="flagged")
    assert item.target_id == str(topic.posts.get().pk)
    assert item.flags.get().reason == "spam"
    assert item.signals[0]["rule"] == "spam_score"
    assert AuditEntry.objects.filter(action="flag.created").count() == 1


def test_thresholds_come_from_settings(member, settings):
    settings.MODERATION_SPAM_FLAG = 0.1
    assert score(member, PROSE).flag[0]["rule"] == "spam_score"
    settings.MODERATION_SPAM_HOLD = 0.1
    assert score(member, PROSE).hold[0]["rule"] == "spam_score"


def test_staff_are_not_scored(moderator):
    assert score(moderator, "Deals " + links(20)).spam_score == 0


def test_a_member_made_long_ago_is_not_a_new_account(guidelines):
    old = aged(make_member("olga", guidelines), 30, 0)
    assert score(old, PROSE).spam_score == 0.1  # still trust level 0
