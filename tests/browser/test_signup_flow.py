"""Sign-up end to end: a real browser, a real SMTP server, the guidelines gate.

The mail leaves the way it does in production (QueuedEmailBackend -> core.tasks.deliver_email
-> SMTP), with Celery running the job in-process as it does without a broker.
"""

import logging
import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from townsquare.accounts.models import GuidelinesAcceptance, User
from townsquare.core.models import ActivityEvent

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

TYPED_EMAIL = "Zofia.Nowak@Example.com"
CONFIRM_LINK_RE = re.compile(r"https?://[^\s<>\"']+/accounts/confirm-email/[^\s/<>\"']+/")


def fill_signup(page: Page, *, email: str, handle: str, display_name: str) -> None:
    page.fill("#id_email", email)
    page.fill("#id_handle", handle)
    page.fill("#id_display_name", display_name)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    # A person takes a few seconds; a form sent back sooner is taken for a bot's
    # (tests/accounts/test_signup_defences.py).
    page.wait_for_timeout(settings.SIGNUP_MIN_SECONDS * 1000 + 200)
    page.get_by_role("button", name="Create my account").click()


def test_signup_confirm_email_accept_guidelines(
    page: Page, live_server, smtp_delivery, guidelines, caplog, tmp_path
):
    page.goto(live_server.url + "/accounts/signup/")
    fill_signup(page, email=TYPED_EMAIL, handle="zofia", display_name="Zofia Nowak")

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    expect(page.locator("main")).to_contain_text("We have sent an email to you for verification")

    received = smtp_delivery.wait_for_mail(count=1, timeout=10)
    if not received:
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        pytest.fail(
            "No mail reached the SMTP server within 10 s of signing up. "
            f"Errors logged meanwhile: {errors or 'none'}",
            pytrace=False,
        )
    assert len(received) == 1
    # allauth lowercases the whole address when it cleans the sign-up form.
    address = TYPED_EMAIL.lower()
    assert received[0].rcpt_tos == [address]
    message = received[0].parsed()
    assert message["To"] == address
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = CONFIRM_LINK_RE.search(body)
    assert match, f"no confirmation link in the mail body:\n{body}"
    link = match.group(0)
    assert link.startswith(live_server.url + "/accounts/confirm-email/")

    page.goto(link)
    expect(page).to_have_url(re.compile(r"/guidelines/accept/"))
    guidelines_box = page.locator(".guidelines-box")
    expect(guidelines_box).to_contain_text("Be kind")
    expect(guidelines_box).to_contain_text("No spam.")
    page.check("#accept")
    page.get_by_role("button", name="Accept and continue").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("header .account")).to_contain_text("@zofia")
    page.screenshot(path=tmp_path / "home.png", full_page=True)

    user = User.objects.get(handle="zofia")
    assert user.email == address
    assert user.display_name == "Zofia Nowak"
    assert user.timezone == "Europe/Warsaw"  # filled in by the page's script
    assert user.guidelines_version == guidelines.version
    assert EmailAddress.objects.get(user=user).verified
    assert GuidelinesAcceptance.objects.filter(user=user, version=guidelines.version).exists()
    verbs = set(ActivityEvent.objects.filter(actor=user).values_list("verb", flat=True))
    assert {"member.signed_up", "guidelines.accepted"} <= verbs


def test_failed_signup_keeps_what_was_typed(page: Page, live_server, smtp_delivery, guidelines):
    page.goto(live_server.url + "/accounts/signup/")
    fill_signup(page, email=TYPED_EMAIL, handle="zo\u200bfia", display_name="Zofia Nowak")

    # The message sits in the handle's own field box, and only there.
    handle_field = page.locator(".field", has=page.locator("#id_handle"))
    expect(handle_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(handle_field.locator(".errors")).to_contain_text("invisible")
    expect(handle_field.locator(".errors")).to_contain_text("U+200B")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator("#id_handle")).to_have_attribute("aria-invalid", "true")
    assert page.input_value("#id_email") == TYPED_EMAIL
    assert page.input_value("#id_display_name") == "Zofia Nowak"
    assert page.input_value("#id_handle") == "zo\u200bfia"

    assert not User.objects.exists()
    assert smtp_delivery.received == []
