import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.core import actions
from townsquare.core.models import ActivityEvent, Community


def png_bytes(size: tuple[int, int] = (40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_admin_edits_settings_in_the_product(admin_member_client: Client, admin_member):
    response = admin_member_client.post(
        "/manage/",
        {
            "save_settings": "1",
            "settings-name": "Kraków Makers",
            "settings-tagline": "Zażółć gęślą jaźń",
            "settings-access_mode": "hybrid",
            "settings-public_areas": ["home"],
            "settings-logo": SimpleUploadedFile("logo.png", png_bytes(), "image/png"),
        },
    )
    assert response.status_code == 302
    community = Community.objects.get()
    assert (community.name, community.access_mode, community.public_areas) == (
        "Kraków Makers",
        "hybrid",
        ["home"],
    )
    assert community.logo.name.endswith(".webp")
    event = ActivityEvent.objects.get(verb="community.updated")
    assert event.actor == admin_member
    assert set(event.data["fields"]) >= {"name", "access_mode", "public_areas", "logo"}


@pytest.mark.django_db
def test_bad_settings_keep_what_was_typed(admin_member_client: Client):
    response = admin_member_client.post(
        "/manage/",
        {
            "save_settings": "1",
            "settings-name": "Still here",
            "settings-access_mode": "secret",
            "settings-logo": SimpleUploadedFile("logo.png", b"not an image", "image/png"),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Still here"' in body
    assert "Select a valid choice" in body


@pytest.mark.django_db
def test_mission_is_sanitised_markdown(admin_member_client: Client, client: Client):
    admin_member_client.post(
        "/manage/",
        {
            "save_mission": "1",
            "mission-mission": "We **help**. <img src=x onerror=alert(1)> [x](javascript:alert(1))",
            "mission-goals": "- Answer in 24h",
        },
    )
    community = Community.objects.get()
    assert "<strong>help</strong>" in community.mission_html
    assert "<img" not in community.mission_html
    assert 'href="javascript' not in community.mission_html
    assert "<li>Answer in 24h</li>" in client.get("/").content.decode()


@pytest.mark.django_db
def test_manager_may_edit_mission_but_not_access(guidelines):
    manager = make_member("mia", guidelines, role=Role.MANAGER)
    actions.update_community(manager, mission="Help each other")
    with pytest.raises(PermissionDenied):
        actions.update_community(manager, access_mode="public")


@pytest.mark.django_db
def test_roles_are_assigned_in_the_ui_and_audited(
    admin_member_client: Client, admin_member, member
):
    page = admin_member_client.get("/manage/roles/?q=alice")
    assert "@alice" in page.content.decode()
    response = admin_member_client.post(f"/manage/roles/{member.pk}/", {"role": "moderator"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MODERATOR
    event = ActivityEvent.objects.get(verb="role.changed")
    assert (event.actor, event.target_id, event.data) == (
        admin_member,
        str(member.pk),
        {"previous": "member", "role": "moderator"},
    )
    admin_member_client.post(f"/manage/roles/{member.pk}/", {"role": "member"})
    assert ActivityEvent.objects.filter(verb="role.changed").count() == 2


@pytest.mark.django_db
def test_last_admin_cannot_be_demoted(admin_member):
    with pytest.raises(ValidationError):
        actions.assign_role(admin_member, admin_member, Role.MEMBER)


@pytest.mark.django_db
def test_members_cannot_assign_roles(member_client: Client, member, admin_member):
    response = member_client.post(f"/manage/roles/{member.pk}/", {"role": "admin"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.role == Role.MEMBER


@pytest.mark.django_db
def test_admin_role_opens_django_admin(admin_member_client: Client, member_client: Client):
    assert admin_member_client.get("/django-admin/").status_code == 200
    assert member_client.get("/django-admin/").status_code == 302
