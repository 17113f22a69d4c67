"""Sign-in, two-factor (TOTP), password reset, through the real pages."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.conftest import PASSWORD
from townsquare.accounts.forms import signup_stamp
from townsquare.core.models import ActivityEvent


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 with SHA-1, 30 s steps, 6 digits: what an authenticator app shows."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.django_db
def test_member_turns_on_totp_and_then_needs_a_code(client: Client, member):
    assert sign_in(client, member.email)["Location"] == "/"
    # Turning on two-factor asks for the password again first.
    gate = client.get("/accounts/2fa/totp/activate/")
    assert gate["Location"].startswith("/accounts/reauthenticate/")
    client.post(gate["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    field = re.search(r"<input[^>]*authenticator_secret[^>]*>", page.content.decode()).group(0)
    secret = re.search(r'value="([A-Z2-7]+)"', field).group(1)
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert activated.status_code == 302
    assert member.authenticator_set.filter(type="totp").exists()
    client.post("/accounts/logout/")
    cache.clear()  # the activation code may not be replayed; a new sign-in uses a fresh one

    response = sign_in(client, member.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/settings/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    done = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert done["Location"] == "/"
    assert client.get("/settings/").status_code == 200


@pytest.mark.django_db
def test_password_reset_by_email(client: Client, member):
    response = client.post("/accounts/password/reset/", {"email": "Alice@Example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    form_page = client.get(link.group(1), follow=True)
    new = "a brand new passphrase"
    done = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(new)


@pytest.mark.django_db
def test_sign_in_is_case_insensitive_and_recorded(client: Client, member):
    assert sign_in(client, "ALICE@EXAMPLE.COM")["Location"] == "/"
    assert ActivityEvent.objects.filter(verb="member.logged_in", actor=member).exists()


@pytest.mark.django_db
def test_unverified_member_cannot_sign_in_until_confirmed(client: Client, guidelines):
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com", "handle": "newbie", "display_name": "New",
            "password1": PASSWORD, "password2": PASSWORD,
            "started": signup_stamp(time.time() - 10),
        },
    )  # fmt: skip
    client.post("/accounts/logout/")
    response = sign_in(client, "new@example.com")
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
