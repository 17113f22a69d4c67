"""Shared fixtures. Every test runs on SQLite and on PostgreSQL (scripts/test.sh)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test import Client

from tests.smtp import smtp_delivery, smtp_server  # noqa: F401  (fixtures for every test)
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.core import actions, buffers
from townsquare.core.models import AccessMode, Community, GuidelinesVersion
from townsquare.core.queries import get_community
from townsquare.moderation import append_only

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PAGEVIEW_BUFFER_SIZE = 1  # write each page view at once, so tests can see it
    settings.DEMO_HISTORY_DAYS = 21  # the demo's generated history: three weeks are enough
    # Rate limits and new members' daily limits are off, as in Discourse's suite: tests
    # post freely. The tests of the limits turn them on (the ``limits_on`` fixture).
    settings.MODERATION_LIMITS_ENABLED = False
    cache.clear()
    yield
    buffers.flush_all()


@pytest.fixture(autouse=True)
def _audit_log_flushable(request):
    """A transactional test ends with a flush, which on SQLite is a DELETE the audit log's
    triggers refuse (PostgreSQL truncates, which row triggers do not see): empty the log
    with its triggers lifted for that moment, before the flush."""
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    yield
    if transactional and connection.vendor == "sqlite":
        append_only.uninstall(connection)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM moderation_auditentry")
        append_only.install(connection)


@pytest.fixture
def limits_on(settings) -> None:
    settings.MODERATION_LIMITS_ENABLED = True


@pytest.fixture
def community(db) -> Community:
    return get_community()


@pytest.fixture
def guidelines(db) -> GuidelinesVersion:
    return actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First version")


def make_member(
    handle: str, guidelines: GuidelinesVersion | None, role: str = Role.MEMBER, **extra
) -> User:
    """A member as after sign-up, email confirmation and accepting the guidelines."""
    user = account_actions.register_member(
        email=f"{handle}@example.com",
        handle=handle,
        display_name=extra.pop("display_name", handle.title()),
        password=PASSWORD,
        role=role,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if guidelines is not None:
        account_actions.accept_guidelines(user, guidelines)
    return user


@pytest.fixture
def member(guidelines) -> User:
    return make_member("alice", guidelines)


@pytest.fixture
def admin_member(guidelines) -> User:
    return make_member("root", guidelines, role=Role.ADMIN)


@pytest.fixture
def member_client(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def admin_member_client(admin_member) -> Client:
    client = Client()
    client.force_login(admin_member)
    return client


def set_access_mode(mode: str, public_areas: list[str] | None = None) -> Community:
    return actions.update_community(None, access_mode=mode, public_areas=public_areas or [])


@pytest.fixture
def private_community(community) -> Community:
    return set_access_mode(AccessMode.PRIVATE)


def sitemap_text(client: Client) -> str:
    """The sitemap index and every section it lists, as one text."""
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>https?://[^/]+(/sitemap-[^<]+)</loc>", index)
    return index + "".join(client.get(path).content.decode() for path in sections)


# --- A category only an advisory board may read (the forum's leak tests) ---------------


@pytest.fixture
def board(db):
    from townsquare.groups import actions as group_actions

    return group_actions.create_group(None, name="Advisory board")


@pytest.fixture
def insider(guidelines, board) -> User:
    from townsquare.groups import actions as group_actions

    user = make_member("insider", guidelines)
    group_actions.add_member(None, board, user)
    return user


@pytest.fixture
def boardroom(board):
    from townsquare.forum import actions as forum_actions
    from townsquare.forum.models import Audience, CategoryKind

    return forum_actions.create_category(
        None, name="Boardroom", kind=CategoryKind.QA, read_access=Audience.GROUPS,
        read_groups=[board],
    )  # fmt: skip
