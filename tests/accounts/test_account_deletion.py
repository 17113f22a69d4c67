"""Account deletion: a member erases their account (or an admin does, on request); the
personal data goes from every table and from the search index; the posts stay as by
"a former member" or go, as chosen; one audit entry says so."""

from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.functions import Cast
from django.test import Client

from tests.accounts.conftest import BIO, EMAIL, HANDLE, NAME
from tests.conftest import PASSWORD, make_member
from townsquare.accounts import privacy
from townsquare.accounts.models import Role, User
from townsquare.core import buffers
from townsquare.core.queries import get_community
from townsquare.forum.models import Post, Topic, Upload
from townsquare.messaging.models import Conversation, Message
from townsquare.moderation.models import AuditEntry
from townsquare.search.queries import search

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def rows_holding(value: str) -> list[str]:
    """Every row of every table (Django's and the apps' alike) with ``value`` in a text or
    JSON column, as "table.column"."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            column = Cast(field.attname, models.TextField())
            rows = model._default_manager.annotate(_text=column).filter(_text__icontains=value)
            if rows.exists():
                found.append(f"{model._meta.db_table}.{field.column}")
    return found


def searched(text: str) -> set[int]:
    """Post ids the search backend finds for ``text``, searched as the staff see."""
    admin = User.objects.filter(role=Role.ADMIN).first()
    results = search(admin or AnonymousUser(), get_community(), text)
    return {hit.post.pk for hit in results.hits}


def delete_from_settings(client: Client, **data) -> object:
    return client.post("/settings/data/delete/", {"confirm": "on", **data})


@pytest.fixture
def quinn_client(quinn) -> Client:
    client = Client()
    client.force_login(quinn.member)
    return client


@pytest.mark.parametrize("posts", ["keep", "remove"])
def test_a_deleted_members_email_name_and_profile_are_gone_from_the_database_and_index(
    quinn, quinn_client, posts, django_capture_on_commit_callbacks
):
    make_member("root", None, role=Role.ADMIN)  # searches as staff: sees everything
    bob = Client()
    bob.force_login(quinn.bob)
    assert bob.get(f"/u/{HANDLE}/").status_code == 200  # a page view that names her
    assert rows_holding(EMAIL) and rows_holding(NAME)
    assert {"core_pageview.path", "core_activityevent.target_label"} <= set(rows_holding(HANDLE))
    assert rows_holding(BIO)
    assert searched(HANDLE) == {quinn.bobs_mention.pk}  # Bob's post says @zyxwvu_q
    avatar = Path(quinn.member.profile.avatar.path)
    assert avatar.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = delete_from_settings(quinn_client, posts=posts, password=PASSWORD)
    assert response.status_code == 302
    for value in (EMAIL, HANDLE, NAME, BIO, "Kumquat Works", "CRM-771", "Q-kumquat"):
        assert rows_holding(value) == [], value
        assert searched(value) == set(), value
    assert not User.objects.filter(pk=quinn.member.pk).exists()
    assert not avatar.exists()
    assert not Upload.objects.filter(uploader_id=quinn.member.pk).exists()
    entry = AuditEntry.objects.get(action="member.deleted")
    assert entry.target_label == f"member #{quinn.member.pk}"
    assert entry.actor_label == f"member #{quinn.member.pk}"  # they deleted themselves
    assert entry.after == {"posts": posts}
    assert AuditEntry.objects.filter(action="member.deleted").count() == 1


def test_kept_posts_and_messages_show_a_former_member(quinn, quinn_client):
    delete_from_settings(quinn_client, posts="keep", password=PASSWORD)
    bob = Client()
    bob.force_login(quinn.bob)
    page = bob.get(quinn.bobs_topic.get_absolute_url()).content.decode()
    assert "Twice a week in summer." in page
    assert "a former member" in page
    assert NAME not in page and HANDLE not in page
    reply = Post.objects.get(pk=quinn.reply.pk)
    assert reply.author is None
    # Bob's mention of the member now names nobody.
    mention = Post.objects.get(pk=quinn.bobs_mention.pk)
    assert mention.body == "Thanks a former member, that helps."
    assert not mention.mentions.exists()
    conversation = bob.get(f"/messages/{quinn.conversation.pk}/").content.decode()
    assert "Hi Bob, about the fleece." in conversation
    assert "a former member" in conversation
    assert Conversation.objects.filter(pk=quinn.conversation.pk, started_by=None).exists()


def test_removed_posts_disappear_and_others_replies_stay(
    quinn, quinn_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delete_from_settings(quinn_client, posts="remove", password=PASSWORD)
    assert not Topic.objects.filter(pk=quinn.own_topic.pk).exists()
    assert not Post.objects.filter(pk=quinn.reply.pk).exists()
    # The topic Bob answered stays, for his reply; its opening post is emptied.
    shared = Topic.objects.get(pk=quinn.shared_topic.pk)
    opening = shared.posts.get(number=1)
    assert opening.body == "(removed by its author)" and opening.author is None
    assert shared.posts.filter(number=2, author=quinn.bob).exists()
    bobs = Topic.objects.get(pk=quinn.bobs_topic.pk)
    assert bobs.reply_count == 1  # Bob's mention only
    page = Client().get(bobs.get_absolute_url()).content.decode()
    buffers.flush_all()  # the page view, while the database is there
    assert "Twice a week in summer." not in page
    assert searched("summer") == set()
    assert searched("fleece") == set()  # her message is gone too, and her opening post
    assert not Message.objects.filter(body__contains="fleece").exists()
    assert Message.objects.filter(conversation=quinn.conversation, author=quinn.bob).exists()
    assert quinn.general.__class__.objects.get(pk=quinn.general.pk).topic_count == 2


def test_wrong_password_deletes_nothing_and_keeps_the_choice(quinn, quinn_client):
    response = delete_from_settings(quinn_client, posts="remove", password="not it")
    assert response.status_code == 400
    page = response.content.decode()
    assert "That is not your password." in page
    assert 'value="remove" id="id_posts_1" required checked' in page or (
        'value="remove"' in page and "checked" in page
    )
    assert User.objects.filter(pk=quinn.member.pk).exists()
    assert not AuditEntry.objects.filter(action="member.deleted").exists()


def test_the_choice_and_the_confirmation_are_required(quinn, quinn_client):
    response = quinn_client.post("/settings/data/delete/", {"password": PASSWORD})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose what happens to the posts." in page
    assert "Tick the box to confirm." in page
    assert User.objects.filter(pk=quinn.member.pk).exists()


def test_deletion_needs_csrf(quinn):
    client = Client(enforce_csrf_checks=True)
    client.force_login(quinn.member)
    response = delete_from_settings(client, posts="keep", password=PASSWORD)
    assert response.status_code == 403
    assert User.objects.filter(pk=quinn.member.pk).exists()


def test_the_member_is_signed_out_everywhere(quinn, quinn_client):
    elsewhere = Client()
    elsewhere.login(email=EMAIL, password=PASSWORD)
    assert elsewhere.get("/settings/").status_code == 200
    response = delete_from_settings(quinn_client, posts="keep", password=PASSWORD)
    assert response.status_code == 302
    assert elsewhere.get("/settings/").status_code == 302  # to the sign-in page
    assert quinn_client.get("/settings/").status_code == 302


def test_an_admin_deletes_a_member_on_request_with_a_reason(quinn, admin_member):
    admin = Client()
    admin.force_login(admin_member)
    profile = admin.get(f"/u/{HANDLE}/").content.decode()
    assert f"/u/{HANDLE}/delete/" in profile
    form = admin.get(f"/u/{HANDLE}/delete/")
    assert form.status_code == 200
    missing = admin.post(f"/u/{HANDLE}/delete/", {"posts": "keep"})
    assert missing.status_code == 200 and User.objects.filter(pk=quinn.member.pk).exists()
    response = admin.post(
        f"/u/{HANDLE}/delete/", {"posts": "keep", "reason": "Asked by email on 3 May"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=quinn.member.pk).exists()
    entry = AuditEntry.objects.get(action="member.deleted")
    assert entry.actor_id == admin_member.pk and entry.actor_label == "@root"
    assert entry.reason == "Asked by email on 3 May"
    assert entry.target_label == f"member #{quinn.member.pk}"


def test_only_admins_delete_others_and_never_another_admin(quinn, admin_member, guidelines):
    bob = Client()
    bob.force_login(quinn.bob)
    assert f"/u/{HANDLE}/delete/" not in bob.get(f"/u/{HANDLE}/").content.decode()
    assert bob.get(f"/u/{HANDLE}/delete/").status_code == 403
    moderator = make_member("mod", guidelines, role=Role.MODERATOR)
    with pytest.raises(privacy.PermissionDenied):
        privacy.delete_account(moderator, quinn.member, posts="keep", reason="x")
    other_admin = make_member("other", guidelines, role=Role.ADMIN)
    with pytest.raises(privacy.PermissionDenied):
        privacy.delete_account(admin_member, other_admin, posts="keep", reason="x")
    assert User.objects.filter(pk__in=[quinn.member.pk, other_admin.pk]).count() == 2
    assert not AuditEntry.objects.filter(action="member.deleted").exists()


def test_the_audit_log_and_activity_no_longer_name_the_member(quinn, admin_member):
    from townsquare.moderation import audit

    audit.record(admin_member, "member.warned", quinn.member, reason="test")
    privacy.delete_account(admin_member, quinn.member, posts="keep", reason="asked")
    warned = AuditEntry.objects.get(action="member.warned")
    assert warned.target_label == f"member #{quinn.member.pk}"
    assert warned.actor_label == "@root"  # who acted is kept
