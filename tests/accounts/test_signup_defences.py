"""Sign-up defences: a signed time stamp refuses forms sent back faster than a person could
fill them in, forged or expired; a honeypot field catches bots. What was typed is kept."""

import re
import time

import pytest
from django.core import signing
from django.test import Client

from townsquare.accounts.forms import SIGNUP_STAMP_SALT, signup_stamp
from townsquare.accounts.models import User

pytestmark = pytest.mark.django_db

TYPED = {
    "email": "nowy@example.com",
    "handle": "nowy",
    "display_name": "Nowy Członek 新成员",
    "password1": "a long and fine password",
    "password2": "a long and fine password",
}
TOO_FAST = "That was quicker than a person can fill in this form."
EXPIRED = "This form has expired or was changed."


def shown_stamp(page: str) -> str:
    return re.search(r'name="started" value="([^"]+)"', page)[1]


def assert_kept(page: str) -> None:
    assert 'value="nowy@example.com"' in page
    assert 'value="nowy"' in page
    assert 'value="Nowy Członek 新成员"' in page


def test_the_form_carries_a_fresh_signed_stamp(client: Client, guidelines):
    page = client.get("/accounts/signup/").content.decode()
    issued = signing.loads(shown_stamp(page), salt=SIGNUP_STAMP_SALT)
    assert abs(time.time() - issued) < 5


def test_a_form_sent_back_at_once_is_refused_and_can_be_sent_again(client, guidelines):
    page = client.get("/accounts/signup/").content.decode()
    response = client.post("/accounts/signup/", {**TYPED, "started": shown_stamp(page)})
    page = response.content.decode()
    assert response.status_code == 200 and TOO_FAST in page
    assert_kept(page)
    assert not User.objects.exists()
    # The form came back with a new stamp: sent again a moment later, it is accepted.
    again = shown_stamp(page)
    assert signing.loads(again, salt=SIGNUP_STAMP_SALT) >= time.time() - 5
    response = client.post("/accounts/signup/", {**TYPED, "started": signup_stamp(time.time() - 4)})
    assert response.status_code == 302
    assert User.objects.filter(handle="nowy").exists()


@pytest.mark.parametrize(
    "stamp",
    [
        "",  # left out
        "1700000000.0",  # not signed
        signing.dumps(time.time() - 10, salt="another form"),  # signed for something else
        "forged:" + signup_stamp(time.time() - 10)[7:],
    ],
)
def test_a_missing_or_forged_stamp_is_refused(client, guidelines, stamp):
    response = client.post("/accounts/signup/", {**TYPED, "started": stamp})
    page = response.content.decode()
    assert EXPIRED in page
    assert_kept(page)
    assert not User.objects.exists()


def test_an_expired_form_is_refused(client, guidelines, settings):
    old = signup_stamp(time.time() - settings.SIGNUP_MAX_AGE_SECONDS - 60)
    response = client.post("/accounts/signup/", {**TYPED, "started": old})
    assert EXPIRED in response.content.decode()
    assert not User.objects.exists()


def test_the_honeypot_is_out_of_sight_and_reach(client, guidelines):
    page = client.get("/accounts/signup/").content.decode()
    box = re.search(r'<div class="out-of-sight" aria-hidden="true">(.*?)</div>', page, re.S)[1]
    assert 'name="homepage"' in box and 'tabindex="-1"' in box and 'autocomplete="off"' in box
    assert page.count('name="homepage"') == 1  # not also among the visible fields


def test_a_filled_honeypot_makes_no_account_and_tells_the_bot_nothing(client, guidelines):
    response = client.post(
        "/accounts/signup/",
        {**TYPED, "started": signup_stamp(time.time() - 10), "homepage": "http://spam.example"},
    )
    # Answered like a successful sign-up, so the bot learns nothing...
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    # ...but no account exists.
    assert not User.objects.exists()


def test_a_person_signs_up(client, guidelines):
    response = client.post(
        "/accounts/signup/", {**TYPED, "started": signup_stamp(time.time() - 10), "homepage": ""}
    )
    assert response.status_code == 302
    assert User.objects.get(handle="nowy").display_name == "Nowy Członek 新成员"
