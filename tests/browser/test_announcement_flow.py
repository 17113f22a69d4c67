"""An announcement in a real browser: a manager writes it, watches the recipient count
change with the segment, previews it, sends a test to themselves, sends it, and sees the
progress reach done — the mail arriving at a real SMTP server."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.notifications import actions as notification_actions

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_write_count_preview_test_send_and_see_progress(
    page: Page, live_server, guidelines, smtp_delivery
):
    manager = make_member("maja", guidelines, role=Role.MANAGER, display_name="Maja K")
    make_member("ann", guidelines, display_name="Ann Archer")
    make_member("ben", guidelines, display_name="Ben Baker")
    left = make_member("cid", guidelines, display_name="Cid Cole")
    notification_actions.unsubscribe(left, "announcements")

    sign_in(page, live_server, manager.email)
    page.goto(f"{live_server.url}/manage/")
    page.get_by_role("link", name="Announcements").click()
    page.get_by_role("link", name="New announcement").click()
    page.get_by_label("Subject").fill("Meetup on Friday")
    page.get_by_label("Body").fill("Hi {first_name}, we meet on **Friday** at the <b>café</b>.")
    count = page.locator("#recipient-count")
    expect(count).to_contain_text("4 members match this segment.", timeout=15_000)
    page.get_by_label("Send to").select_option("role")
    expect(count).to_contain_text("Choose a role.")
    page.locator("select[name=segment_role]").select_option("member")
    expect(count).to_contain_text("3 members match this segment.")
    expect(count).to_contain_text("Will receive it: 2 · unsubscribed from announcements: 1")
    page.get_by_role("button", name="Save and preview").click()

    expect(page.locator(".preview-subject")).to_have_text("Meetup on Friday")
    mail_html = page.frame_locator("iframe.mail-preview")
    expect(mail_html.locator("strong")).to_have_text("Friday")
    expect(mail_html.locator("body")).to_contain_text("Hi Maja, we meet on")
    expect(mail_html.locator("body")).to_contain_text("<b>café</b>")  # shown, not markup
    expect(page.locator(".mail-preview-text")).to_contain_text("Hi Maja, we meet on **Friday**")

    page.get_by_role("button", name="Send a test to me").click()
    expect(page.locator(".messages")).to_contain_text("A test mail is on its way to maja@")
    (test_mail,) = smtp_delivery.wait_for_mail(1)
    assert test_mail.rcpt_tos == ["maja@example.com"]
    assert test_mail.parsed()["Subject"] == "[Test] Meetup on Friday"

    page.get_by_role("link", name="Send…").click()
    expect(page.locator("main")).to_contain_text("Send it now to 2 members?")
    page.get_by_role("button", name="Send now").click()
    progress = page.locator("#progress")
    expect(progress.locator(".progress-status")).to_contain_text("Done.")
    expect(progress.locator(".count-sent")).to_have_text("2")
    expect(progress.locator(".count-skipped")).to_contain_text("1")
    expect(progress.locator(".count-skipped")).to_contain_text("unsubscribed: 1")
    received = smtp_delivery.wait_for_mail(3)
    assert sorted(m.rcpt_tos[0] for m in received[1:]) == ["ann@example.com", "ben@example.com"]

    page.get_by_role("link", name="Announcements", exact=True).first.click()
    row = page.locator("table.announcements tbody tr").first
    expect(row).to_contain_text("Meetup on Friday")
    expect(row).to_contain_text("Sent")
