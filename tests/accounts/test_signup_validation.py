"""Bad sign-up input is refused with a clear message, and what was typed is kept."""

import time

import pytest
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts.forms import signup_stamp
from townsquare.accounts.models import User


def signup(client: Client, **overrides):
    """Send the sign-up form as a person would: shown ten seconds before it is sent
    (tests/accounts/test_signup_defences.py checks what happens otherwise)."""
    data = {
        "started": signup_stamp(time.time() - 10),
        "email": "new@example.com",
        "handle": "newbie",
        "display_name": "Nowy Członek",
        "password1": "a long and fine password",
        "password2": "a long and fine password",
    } | overrides
    return client.post("/accounts/signup/", data)


@pytest.mark.django_db
def test_signup_creates_an_unverified_member(client: Client, guidelines):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(handle="newbie")
    assert user.display_name == "Nowy Członek"
    assert user.guidelines_version is None
    assert not user.emailaddress_set.get().verified


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("handle", "", "This field is required."),
        ("handle", "ab", "A handle is 3 to 30 characters long."),
        ("handle", "x" * 31, "at most 30 characters"),
        ("handle", "zero\u200bwidth", "invisible or control character (U+200B)"),
        ("handle", "evil\u202egnp", "invisible or control character (U+202E)"),
        ("handle", "bell\x07", "invisible or control character (U+0007)"),
        ("handle", "two words", "no spaces"),
        ("handle", "<script>", "Use letters, digits"),
        ("display_name", "   ", "This field is required."),
        ("display_name", "y" * 61, "at most 60 characters"),
        ("display_name", "Bidi\u2066Name", "invisible or control character (U+2066)"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_and_kept(client: Client, guidelines, field, value, message):
    response = signup(client, **{field: value})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert not User.objects.filter(handle="newbie").exists()
    # The other fields keep what was typed.
    kept = {"email": "new@example.com", "handle": "newbie", "display_name": "Nowy Członek"}
    for other, typed in kept.items():
        if other != field:
            assert f'value="{typed}"' in body


@pytest.mark.django_db
def test_duplicate_email_is_refused_whatever_its_case(client: Client, guidelines):
    make_member("alice", guidelines)
    response = signup(client, email="ALICE@Example.COM")
    assert response.status_code == 200
    assert "already" in response.content.decode()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


@pytest.mark.django_db
def test_duplicate_handle_is_refused_whatever_its_case(client: Client, guidelines):
    make_member("alice", guidelines)
    response = signup(client, handle="ALICE")
    assert "This handle is taken" in response.content.decode()


@pytest.mark.django_db
def test_unicode_handles_are_welcome(client: Client, guidelines):
    assert signup(client, handle="小明_2026", email="xm@example.com").status_code == 302
    assert signup(client, handle="łukasz.ż", email="lz@example.com").status_code == 302


@pytest.mark.django_db
def test_guidelines_are_shown_at_signup(client: Client, guidelines):
    body = client.get("/accounts/signup/").content.decode()
    assert "Be kind" in body
    assert "version 1" in body


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client: Client, member):
    from tests.conftest import PASSWORD

    bodies = [
        client.post("/accounts/login/", {"login": member.email, "password": "wrong"}).content
        for _ in range(6)
    ]
    assert b"Too many failed login attempts" not in bodies[0]
    assert b"Too many failed login attempts" in bodies[-1]
    # Even the right password is refused while the limit holds.
    right = client.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    assert right.status_code == 200
    assert b"Too many failed login attempts" in right.content
    assert "_auth_user_id" not in client.session
