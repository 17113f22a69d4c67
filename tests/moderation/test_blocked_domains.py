"""Blocked link domains (and their subdomains, in any spelling) and duplicate posts in
other topics."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.forum.models import Post, Topic
from townsquare.messaging import actions as messaging
from townsquare.moderation import screening
from townsquare.moderation.actions import rules
from townsquare.moderation.models import AuditEntry, BlockedDomain

pytestmark = pytest.mark.django_db


def refused(author, text) -> list[str]:
    return screening.evaluate(author, text=text, kind=screening.REPLY).blocked


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("spam.example", "spam.example"),
        ("https://WWW.Spam.Example/path?q=1", "www.spam.example"),
        ("*.spam.example.", "spam.example"),
        ("user@spam.example:8080", "spam.example"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("例子。中国", "xn--fsqu00a.xn--fiqs8s"),
    ],
)
def test_domains_are_normalised(typed, stored):
    assert screening.normalise_domain(typed) == stored


@pytest.mark.parametrize("typed", ["", "localhost", "spam..example", "-x.com", "a b.com"])
def test_what_is_not_a_domain_is_refused_with_a_clear_error(moderator, typed):
    with pytest.raises(ValidationError) as error:
        rules.add_blocked_domain(moderator, domain=typed)
    assert "is not a domain name like example.com" in error.value.messages[0]


def test_links_to_the_domain_and_its_subdomains_are_refused(moderator, member):
    rules.add_blocked_domain(moderator, domain="spam.example")
    message = ["Links to “spam.example” are not allowed here."]
    assert refused(member, "See [this](https://spam.example/offer).") == message
    assert refused(member, "Bare: http://www.shop.SPAM.example/x") == message
    assert refused(member, "Without a scheme: spam.example/buy") == message
    assert refused(member, "Escaped: https://%73pam.example/") == message
    assert refused(member, "Full-width dots: spam。example") == message
    assert refused(member, "Not it: notspam.example and spam.example.org") == []


def test_an_idn_domain_is_caught_in_either_spelling(moderator, member):
    rules.add_blocked_domain(moderator, domain="xn--bcher-kva.de")
    message = ["Links to “bücher.de” are not allowed here."]
    assert refused(member, "https://bücher.de/angebot") == message
    assert refused(member, "https://BÜCHER.de/angebot") == message
    assert refused(member, "[x](https://xn--bcher-kva.de)") == message


def test_posts_and_messages_with_a_blocked_link_are_refused(moderator, member, bob, general):
    rules.add_blocked_domain(moderator, domain="spam.example")
    with pytest.raises(ValidationError) as error:
        start_topic(member, general, body="Cheap: https://spam.example")
    assert error.value.messages == ["Links to “spam.example” are not allowed here."]
    with pytest.raises(ValidationError):
        messaging.start_conversation(member, get_community(), ["bob"], "spam.example is great")
    assert not Topic.objects.exists()


def test_the_staff_page_adds_and_removes_with_one_audit_entry_each(moderator, member):
    page = client_for(moderator)
    assert client_for(member).get("/moderation/domains/").status_code == 403
    response = page.post("/moderation/domains/", {"domain": "https://Bücher.de/x", "note": "spam"})
    assert response.status_code == 302
    blocked = BlockedDomain.objects.get()
    assert blocked.domain == "xn--bcher-kva.de"
    listing = page.get("/moderation/domains/").content.decode()
    assert "bücher.de" in listing and "xn--bcher-kva.de" in listing
    again = page.post("/moderation/domains/", {"domain": "bücher.de"})
    assert again.status_code == 400 and "is already blocked" in again.content.decode()
    assert page.post(f"/moderation/domains/{blocked.pk}/delete/").status_code == 302
    assert not BlockedDomain.objects.exists()
    added = AuditEntry.objects.get(action="blocked_domain.added")
    assert added.after == {"domain": "xn--bcher-kva.de", "note": "spam"}
    assert AuditEntry.objects.filter(action="blocked_domain.removed").count() == 1
    assert refused(member, "https://bücher.de") == []  # unblocked at once


# --- Duplicates ----------------------------------------------------------------------------

TEXT = "Check out my great new product, it solves every problem you ever had!"


def test_the_same_text_in_another_topic_is_refused(member, general):
    first = start_topic(member, general, title="First topic here", body=TEXT)
    other = start_topic(member, general, title="Second topic", body="Something else entirely.")
    with pytest.raises(ValidationError) as error:
        forum.create_post(member, other, body="  CHECK out my great new product,\n it solves "
                          "every problem you ever had!")  # fmt: skip
    assert error.value.messages == [
        "You posted the same text in “First topic here” less than 24 hours ago."
    ]
    with pytest.raises(ValidationError):
        start_topic(member, general, title="A third topic", body=TEXT)
    assert Post.objects.filter(topic=first).count() == 1


def test_a_double_submit_in_the_same_topic_still_answers_with_the_first_post(member, general):
    topic = start_topic(member, general, body="Something else entirely.")
    reply = forum.create_post(member, topic, body=TEXT)
    assert forum.create_post(member, topic, body=TEXT) == reply


def test_short_texts_old_posts_and_other_members_are_not_duplicates(member, bob, general, settings):
    one = start_topic(member, general, title="First topic here", body="Thanks a lot!")
    two = start_topic(member, general, title="Second topic", body="Thanks, I agree.")
    forum.create_post(member, two, body="Thanks a lot!")  # too short to be spam
    forum.create_post(bob, two, body=TEXT)
    forum.create_post(member, one, body=TEXT)  # bob's text, not hers
    Post.objects.filter(body=TEXT, author=member).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    three = start_topic(member, general, title="Third topic", body="Yet another one.")
    assert forum.create_post(member, three, body=TEXT).body == TEXT  # older than the window
