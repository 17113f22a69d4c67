import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from townsquare.accounts.models import ApiToken, Profile
from townsquare.core.models import ActivityEvent


def image_upload(fmt: str = "PNG", size=(300, 200), name="me.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def profile_post(client: Client, **overrides):
    data = {
        "bio": "Data engineer. 我喜欢数据.",
        "company": "Northwind",
        "job_title": "Analityk",
        "location": "Wrocław",
        "expertise": "SQL, dashboards, sql",
    } | overrides
    return client.post("/settings/profile/", data)


@pytest.mark.django_db
def test_member_edits_profile_with_avatar(member_client: Client, member):
    response = profile_post(member_client, avatar=image_upload())
    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.location == "Wrocław"
    assert sorted(t.name for t in profile.expertise.all()) == ["dashboards", "sql"]
    assert profile.avatar.name.endswith(".webp")
    with Image.open(profile.avatar) as stored:
        assert stored.format == "WEBP" and max(stored.size) <= 512
    assert ActivityEvent.objects.filter(verb="member.profile_updated", actor=member).exists()
    page = member_client.get("/u/alice/").content.decode()
    assert "Wrocław" in page and "dashboards" in page


@pytest.mark.django_db
def test_avatar_must_be_a_real_small_image(member_client: Client, member, settings):
    fake = SimpleUploadedFile("me.png", b"<?php evil(); ?>", content_type="image/png")
    response = profile_post(member_client, avatar=fake, location="Kept")
    assert response.status_code == 200
    assert 'value="Kept"' in response.content.decode()
    settings.AVATAR_MAX_BYTES = 1000
    response = profile_post(member_client, avatar=image_upload(size=(400, 400)))
    assert "larger than" in response.content.decode()
    assert not Profile.objects.get(user=member).avatar


@pytest.mark.django_db
def test_too_many_expertise_tags(member_client: Client):
    response = profile_post(member_client, expertise=",".join(f"t{i}" for i in range(11)))
    assert "At most 10" in response.content.decode()


@pytest.mark.django_db
def test_account_settings_change_language_and_time_zone(member_client: Client, member):
    response = member_client.post(
        "/settings/",
        {"display_name": "Alicja", "language": "pl", "timezone": "Europe/Warsaw"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.language, member.timezone) == ("pl", "Europe/Warsaw")
    assert member_client.get("/settings/")["Content-Language"] == "pl"


@pytest.mark.django_db
def test_tokens_are_created_shown_once_and_revoked(member_client: Client, member):
    response = member_client.post("/settings/tokens/", {"name": "CRM sync"})
    body = response.content.decode()
    token = ApiToken.objects.get(user=member)
    raw = body.split('<code class="token">')[1].split("</code>")[0]
    assert raw.startswith("tsq_") and token.key_hash != raw
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert raw not in member_client.get("/settings/tokens/").content.decode()
    member_client.post(f"/settings/tokens/{token.pk}/revoke/")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    verbs = set(ActivityEvent.objects.values_list("verb", flat=True))
    assert {"apitoken.created", "apitoken.revoked"} <= verbs


@pytest.mark.django_db
def test_someone_elses_token_cannot_be_revoked(member_client: Client, guidelines):
    from tests.conftest import make_member
    from townsquare.accounts import actions

    bob = make_member("bob", guidelines)
    token, _raw = actions.create_api_token(bob, bob, "bob's")
    assert member_client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_language_switcher_remembers_a_members_choice(member_client: Client, member):
    response = member_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/members/"})
    assert response["Location"] == "/members/"
    member.refresh_from_db()
    assert member.language == "zh-hans"
    assert member_client.get("/members/")["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_language_switcher_works_for_visitors_in_a_private_community(client: Client, community):
    from tests.conftest import set_access_mode

    set_access_mode("private")
    client.post("/i18n/setlang/", {"language": "pl", "next": "/accounts/login/"})
    assert "Zaloguj" in client.get("/accounts/login/").content.decode()
