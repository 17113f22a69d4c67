"""/manage/onboarding/: managers write the series; members cannot reach it."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.onboarding import actions
from townsquare.onboarding.models import DeliveryStatus, Goal, OnboardingDelivery, OnboardingStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def step(db) -> OnboardingStep:
    return actions.create_step(None, day_offset=0, subject="Welcome {first_name}", body="Hi!")


@pytest.fixture
def manager_client(guidelines) -> Client:
    client = Client()
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER, display_name="Maja K"))
    return client


def urls(step: OnboardingStep) -> list[tuple[str, str]]:
    return [
        ("get", reverse("onboarding:steps")),
        ("get", reverse("onboarding:step_new")),
        ("post", reverse("onboarding:step_new")),
        ("get", reverse("onboarding:step_edit", args=[step.pk])),
        ("post", reverse("onboarding:step_delete", args=[step.pk])),
        ("post", reverse("onboarding:step_move", args=[step.pk, "up"])),
        ("get", reverse("onboarding:step_preview", args=[step.pk])),
        ("post", reverse("onboarding:step_test", args=[step.pk])),
    ]


def test_a_plain_member_may_not_manage_the_series(member_client, step):
    for method, url in urls(step):
        response = getattr(member_client, method)(url)
        assert response.status_code == 403, url
    assert OnboardingStep.objects.count() == 1 and mail.outbox == []


def test_strangers_are_sent_to_sign_in(client, step):
    for method, url in urls(step):
        assert getattr(client, method)(url).status_code == 302


def test_manager_adds_a_step_and_errors_keep_the_input(manager_client):
    manager_client.handler.enforce_csrf_checks = False
    url = reverse("onboarding:step_new")
    bad = {"day_offset": "2", "subject": "Hi {oops", "body": "Dear {unknown}", "goal": "none"}
    response = manager_client.post(url, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A brace is not closed" in page
    assert "Unknown placeholder {unknown}" in page
    assert "Dear {unknown}</textarea>" in page and 'value="Hi {oops"' in page
    assert not OnboardingStep.objects.exists()

    good = {
        "day_offset": "2",
        "subject": "Hi {first_name}",
        "body": "Welcome to {community}",
        "goal": Goal.HAS_POSTED,
        "is_active": "on",
    }
    assert manager_client.post(url, good).status_code == 302
    step = OnboardingStep.objects.get()
    assert (step.day_offset, step.goal, step.is_active) == (2, Goal.HAS_POSTED, True)


def test_csrf_is_required(guidelines):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    data = {"day_offset": "0", "subject": "x", "body": "y", "goal": "none"}
    assert client.post(reverse("onboarding:step_new"), data).status_code == 403


def page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("onboarding:steps")).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_whatever_its_length(manager_client, step, member):
    manager_client.get(reverse("onboarding:steps"))  # warm the session and community caches
    few = page_queries(manager_client)
    for day in range(1, 9):
        extra = actions.create_step(None, day_offset=day, subject=f"Day {day}", body="x")
        OnboardingDelivery.objects.create(user=member, step=extra, status=DeliveryStatus.SENT)
    assert page_queries(manager_client) == few


def test_list_counts_edit_move_delete(manager_client, step, member):
    other = actions.create_step(None, day_offset=0, subject="Second", body="Two")
    later = actions.create_step(None, day_offset=5, subject="Later", body="Three")
    OnboardingDelivery.objects.create(user=member, step=step, status=DeliveryStatus.SENT)
    OnboardingDelivery.objects.create(user=member, step=other, status=DeliveryStatus.SKIPPED)
    page = manager_client.get(reverse("onboarding:steps")).content.decode()
    assert page.index("Welcome {first_name}") < page.index("Second") < page.index("Later")
    assert "<td>1</td><td>0</td><td>0</td>" in page  # the first step: sent once

    manager_client.post(reverse("onboarding:step_move", args=[other.pk, "up"]))
    page = manager_client.get(reverse("onboarding:steps")).content.decode()
    assert page.index("Second") < page.index("Welcome {first_name}")
    response = manager_client.post(reverse("onboarding:step_move", args=[later.pk, "up"]))
    assert response.status_code == 302  # nothing before it on its day: a message says why

    edit = reverse("onboarding:step_edit", args=[later.pk])
    assert "Three" in manager_client.get(edit).content.decode()
    data = {"day_offset": "6", "subject": "Later on", "body": "Three", "goal": "none"}
    manager_client.post(edit, data)
    later.refresh_from_db()
    assert (later.day_offset, later.subject, later.is_active) == (6, "Later on", False)

    manager_client.post(reverse("onboarding:step_delete", args=[later.pk]))
    assert not OnboardingStep.objects.filter(pk=later.pk).exists()


def test_preview_and_test_mail_for_the_manager(manager_client, step):
    preview = manager_client.get(reverse("onboarding:step_preview", args=[step.pk]))
    assert "Welcome Maja" in preview.content.decode()
    manager_client.post(reverse("onboarding:step_test", args=[step.pk]))
    (message,) = mail.outbox
    assert message.subject == "Welcome Maja" and message.to == ["maja@example.com"]
    assert not OnboardingDelivery.objects.exists()  # a test counts for nobody

    broken = OnboardingStep.objects.create(day_offset=1, subject="x", body="{nope}")
    page = manager_client.get(reverse("onboarding:step_preview", args=[broken.pk]))
    assert "This step cannot be sent" in page.content.decode()
    manager_client.post(reverse("onboarding:step_test", args=[broken.pk]))
    assert len(mail.outbox) == 1


def test_the_manage_navigation_links_the_series(manager_client):
    page = manager_client.get(reverse("manage_guidelines")).content.decode()
    assert reverse("onboarding:steps") in page
