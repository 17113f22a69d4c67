"""Asking to join a group in a real browser: a member asks with a note, an owner approves
on the group's page, and the member then sees the group's discussions."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_forum_flow import sign_in
from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.forum import actions as forum_actions
from townsquare.groups import actions
from townsquare.groups.models import GroupKind

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_request_approve_and_see_the_category(page: Page, live_server, guidelines):
    owner = make_member("owner", guidelines, role=Role.MANAGER, display_name="Olga Owner")
    asker = make_member("asker", guidelines, display_name="Ada Asker")
    group = actions.create_group(
        owner, name="Beta testers", kind=GroupKind.EARLY_ADOPTERS, description="Try it first."
    )
    forum_actions.create_topic(owner, group.category, title="Build 42 is out", body="Try it.")
    group_url = f"{live_server.url}/g/{group.slug}/"

    sign_in(page, live_server, asker.email)
    page.goto(group_url)
    expect(page.locator(".topics")).to_contain_text("for its members")
    expect(page.locator(".topics")).not_to_contain_text("Build 42")
    page.get_by_label("A note for the owners (optional)").fill("I file good bug reports.")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.locator(".request-state")).to_contain_text("You have asked to join")

    sign_in(page, live_server, owner.email)
    page.goto(group_url)
    request_item = page.locator(".join-request")
    expect(request_item).to_contain_text("Ada Asker")
    expect(request_item).to_contain_text("I file good bug reports.")
    request_item.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Ada Asker is now a member.")

    sign_in(page, live_server, asker.email)
    page.goto(group_url)
    expect(page.locator(".membership")).to_contain_text("You are a member of this group.")
    page.get_by_role("link", name="Build 42 is out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Build 42 is out")
