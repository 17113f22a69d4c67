"""/manage/announcements/: managers write, count, preview, test and send; members and
moderators cannot reach any of it."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.announcements import actions
from townsquare.announcements.models import Announcement, AnnouncementDelivery, Status
from townsquare.groups import actions as group_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcement(manager) -> Announcement:
    return actions.create_announcement(manager, subject="News for {first_name}", body="Hello!")


def urls(announcement: Announcement) -> list[tuple[str, str]]:
    pk = announcement.pk
    return [
        ("get", reverse("announcements:list")),
        ("get", reverse("announcements:new")),
        ("post", reverse("announcements:new")),
        ("get", reverse("announcements:count") + "?segment=everyone"),
        ("get", reverse("announcements:edit", args=[pk])),
        ("post", reverse("announcements:delete", args=[pk])),
        ("get", reverse("announcements:preview", args=[pk])),
        ("post", reverse("announcements:test", args=[pk])),
        ("get", reverse("announcements:send", args=[pk])),
        ("post", reverse("announcements:send", args=[pk])),
        ("get", reverse("announcements:progress", args=[pk])),
        ("post", reverse("announcements:resume", args=[pk])),
    ]


def test_members_and_moderators_may_not_reach_the_pages(member_client, guidelines, announcement):
    moderator = Client()
    moderator.force_login(make_member("mod", guidelines, role=Role.MODERATOR))
    for client in (member_client, moderator):
        for method, url in urls(announcement):
            assert getattr(client, method)(url).status_code == 403, url
    assert Announcement.objects.get().status == Status.DRAFT and mail.outbox == []


def test_strangers_are_sent_to_sign_in(client, announcement):
    for method, url in urls(announcement):
        assert getattr(client, method)(url).status_code == 302, url


def test_an_admin_may(admin_member_client, announcement):
    assert admin_member_client.get(reverse("announcements:list")).status_code == 200


def test_the_manage_navigation_links_here(manager_client):
    page = manager_client.get(reverse("onboarding:steps")).content.decode()
    assert reverse("announcements:list") in page


def test_errors_keep_the_input(manager_client):
    url = reverse("announcements:new")
    bad = {
        "subject": "Hi {oops",
        "body": "Dear members, 你好",
        "segment": "joined_within",
        "segment_days": "",
    }
    response = manager_client.post(url, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A brace is not closed" in page
    assert "The number of days is a number from 1 to 3650." in page
    assert "Dear members, 你好</textarea>" in page and 'value="Hi {oops"' in page
    assert not Announcement.objects.exists()


def test_write_preview_test_send_and_watch_progress(manager_client, manager, guidelines):
    group = group_actions.create_group(None, name="Chapter Kraków")
    for handle in ("ann", "ben"):
        group_actions.add_member(None, group, make_member(handle, guidelines))
    make_member("cid", guidelines)
    values = {
        "subject": "Kraków meetup",
        "body": "Hi {first_name}, we meet on **Friday**.",
        "segment": "group",
        "segment_group": str(group.pk),
    }
    response = manager_client.post(reverse("announcements:new"), values)
    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("announcements:preview", args=[announcement.pk])
    assert announcement.author == manager

    count = manager_client.get(
        reverse("announcements:count"), {"segment": "group", "segment_group": group.pk}
    )
    assert "2 members match this segment." in count.content.decode()
    count = manager_client.get(reverse("announcements:count"), {"segment": "role"})
    assert "Choose a role." in count.content.decode()

    preview = manager_client.get(reverse("announcements:preview", args=[announcement.pk]))
    page = preview.content.decode()
    assert "Kraków meetup" in page and "Hi Maja, we meet on **Friday**." in page
    assert "&lt;strong&gt;Friday&lt;/strong&gt;" in page  # the HTML part, in srcdoc
    assert "2 members match this segment." in page

    manager_client.post(reverse("announcements:test", args=[announcement.pk]))
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["maja@example.com"], "[Test] Kraków meetup")
    ]

    confirm = manager_client.get(reverse("announcements:send", args=[announcement.pk]))
    assert "Send it now to 2 members?" in confirm.content.decode()
    response = manager_client.post(reverse("announcements:send", args=[announcement.pk]))
    assert response["Location"] == reverse("announcements:progress", args=[announcement.pk])
    assert AnnouncementDelivery.objects.count() == 2
    # The jobs run after the commit; here (no commit in a test transaction) run them now.
    actions.resume(announcement)
    actions.send_batch(announcement.pk, list(group.memberships.values_list("user", flat=True)))
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["ann@example.com", "ben@example.com"]

    progress = manager_client.get(
        reverse("announcements:progress", args=[announcement.pk]), HTTP_HX_REQUEST="true"
    )
    fragment = progress.content.decode()
    assert "Done." in fragment and 'class="count-sent">2<' in fragment
    assert "hx-trigger" not in fragment  # finished: polling stops
    # A sent announcement is not edited any more: the form sends you to its progress.
    edit = manager_client.get(reverse("announcements:edit", args=[announcement.pk]))
    assert edit["Location"] == reverse("announcements:progress", args=[announcement.pk])


def test_progress_polls_while_sending_and_lists_failures(manager_client, manager, guidelines):
    from townsquare.accounts.models import User

    bad = make_member("bad", guidelines)
    User.objects.filter(pk=bad.pk).update(email="bad@@example.com")
    announcement = actions.create_announcement(manager, subject="News", body="Hello")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(actions, "_enqueue", lambda announcement, ids: None)
        actions.send_announcement(manager, announcement)
    url = reverse("announcements:progress", args=[announcement.pk])
    page = manager_client.get(url).content.decode()
    assert "Sending…" in page and 'hx-trigger="every 2s"' in page
    actions.send_batch(announcement.pk, [bad.pk])
    page = manager_client.get(url).content.decode()
    assert "@bad" in page and "Enter a valid email address." in page
    assert 'class="count-failed">1<' in page


def test_the_list_page_has_a_fixed_number_of_queries(
    manager_client, manager, django_assert_max_num_queries
):
    url = reverse("announcements:list")
    for n in range(3):
        actions.create_announcement(manager, subject=f"News {n}", body="Hello")
    manager_client.get(url)
    with django_assert_max_num_queries(12) as few:
        manager_client.get(url)
    for n in range(20):
        sent = actions.create_announcement(manager, subject=f"More {n}", body="Hello")
        if n % 2:
            actions.send_announcement(manager, sent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(url)
    assert response.content.decode().count("<tr>") == 24  # the head and 23 rows


def test_csrf_is_required(manager, announcement):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    for url in (
        reverse("announcements:new"),
        reverse("announcements:send", args=[announcement.pk]),
        reverse("announcements:test", args=[announcement.pk]),
    ):
        assert client.post(url, {"subject": "x", "body": "y"}).status_code == 403
    assert Announcement.objects.get().status == Status.DRAFT


def test_a_draft_can_be_deleted_a_sent_one_cannot(manager_client, manager, member):
    draft = actions.create_announcement(manager, subject="Oops", body="Draft")
    manager_client.post(reverse("announcements:delete", args=[draft.pk]))
    assert not Announcement.objects.filter(pk=draft.pk).exists()
    sent = actions.create_announcement(manager, subject="Kept", body="Sent")
    actions.send_announcement(manager, sent)
    manager_client.post(reverse("announcements:delete", args=[sent.pk]))
    assert Announcement.objects.filter(pk=sent.pk).exists()
