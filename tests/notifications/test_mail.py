"""Community mail to a member: language, time zone, sender, both parts, one-click
unsubscribe (RFC 8058), and addresses that bounce — through a real SMTP server."""

from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from townsquare.core import mail
from townsquare.core.models import MailboxStatus
from townsquare.notifications import actions, email
from townsquare.notifications.models import Channel, DigestFrequency, Kind, Preference, Stream

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "tests/email/plain"  # tests/templates/tests/email/plain{_subject.txt,.txt,.html}


@pytest.fixture(autouse=True)
def _test_templates(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}
    ]


def test_compose_speaks_the_members_language_with_unsubscribe_headers(member, settings):
    settings.SITE_URL = "https://community.example"
    member.language = "pl"
    member.save()
    message = email.compose(
        member,
        TEMPLATE,
        {"title": "<b>Cześć</b>"},
        stream=Stream.DIGEST,
    )
    assert message.to == [member.email]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://community.example/email/unsubscribe/")
    html = message.alternatives[0][0]
    assert 'lang="pl"' in html
    assert "Zrezygnuj z subskrypcji" in html  # the footer, in Polish
    assert "&lt;b&gt;Cześć&lt;/b&gt;" in html  # member text is escaped in HTML
    assert link in message.body


def test_account_mail_has_no_unsubscribe_header(member):
    message = email.compose(member, TEMPLATE, {"title": "x"}, stream=None)
    assert "List-Unsubscribe" not in message.extra_headers
    assert "unsubscribe" not in message.body.lower()


def test_one_click_unsubscribe_without_cookies(client, member):
    token = email.unsubscribe_token(member, Stream.DIGEST)
    url = reverse("notifications:unsubscribe", args=[token])
    # A link checker's GET changes nothing.
    assert client.get(url).status_code == 200
    assert email.mail_settings(member).digest == DigestFrequency.WEEKLY
    # The mail program's POST (RFC 8058): no session, no CSRF token.
    client.handler.enforce_csrf_checks = True
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert email.mail_settings(member).digest == DigestFrequency.OFF
    assert email.mailable([member], Stream.DIGEST) == []


def test_unsubscribing_from_one_kind_keeps_it_in_the_app(client, member):
    actions.set_preferences(member, {Kind.REPLY: Channel.EMAIL, Kind.MENTION: Channel.EMAIL})
    token = email.unsubscribe_token(member, Stream.NOTIFICATIONS, Kind.REPLY)
    client.post(reverse("notifications:unsubscribe", args=[token]))
    chosen = actions.channel_choices(member)
    assert chosen[Kind.REPLY] == Channel.IN_APP
    assert chosen[Kind.MENTION] == Channel.EMAIL


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%3Cscript%3Ealert(1)%3C%2Fscript%3E"])
def test_a_forged_or_broken_link_changes_nothing(client, member, token):
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 404
    assert not Preference.objects.exists()


def test_mail_settings_form(member_client, member):
    response = member_client.post(
        reverse("notifications:mail_settings"),
        {"digest": "daily", "digest_hour": "6", "onboarding": "on"},
    )
    assert response.status_code == 302
    chosen = email.mail_settings(member)
    assert (chosen.digest, chosen.digest_hour, chosen.announcements) == ("daily", 6, False)
    bad = member_client.post(
        reverse("notifications:mail_settings"), {"digest": "hourly", "digest_hour": "99"}
    )
    assert bad.status_code == 400
    assert email.mail_settings(member).digest == "daily"


def send_now(capture, user) -> None:
    """Send a mail and let its delivery job run (it is queued when the transaction commits)."""
    with capture(execute=True):
        email.compose(user, TEMPLATE, {"title": "x"}, stream=None).send()


def test_refused_address_is_marked_bouncing_then_retried(
    settings, smtp_delivery, member, member_client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BOUNCE_THRESHOLD = 2
    smtp_delivery.collector.refused.add(member.email.lower())
    for _ in range(2):
        send_now(django_capture_on_commit_callbacks, member)
    assert smtp_delivery.received == []
    status = MailboxStatus.objects.get(email=member.email.lower())
    assert status.failures == 2 and status.bouncing_since is not None
    assert "550" in status.last_error
    assert email.mailable([member], Stream.NOTIFICATIONS) == []
    page = member_client.get(reverse("notifications:preferences"))
    assert "keeps coming back" in page.content.decode()

    smtp_delivery.collector.refused.clear()
    member_client.post(reverse("notifications:retry_address"))
    assert email.mailable([member], Stream.NOTIFICATIONS) == [member]
    send_now(django_capture_on_commit_callbacks, member)
    assert len(smtp_delivery.wait_for_mail(1)) == 1


def test_a_delivery_that_succeeds_starts_the_count_over(
    smtp_delivery, member, django_capture_on_commit_callbacks
):
    MailboxStatus.objects.create(email=member.email.lower(), failures=1)
    send_now(django_capture_on_commit_callbacks, member)
    smtp_delivery.wait_for_mail(1)
    assert MailboxStatus.objects.get().failures == 0
    assert not mail.bouncing([member.email])
    assert django_mail.outbox == []  # it went over SMTP, not to the test outbox
