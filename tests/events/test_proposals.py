"""Member meetups: members at the community's trust level propose an event; moderators
approve it (published, the proposer hosting) or decline it with a reason, audited, and the
proposer is told."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role, User
from townsquare.core import actions as core_actions
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.events import actions, proposals
from townsquare.events.models import Event, EventHost, EventStatus
from townsquare.moderation.limits import RateLimited
from townsquare.moderation.models import AuditEntry
from townsquare.notifications import queries as notification_queries
from townsquare.notifications.models import Notification

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at_level(user: User, level: int) -> User:
    User.objects.filter(pk=user.pk).update(trust_level=level)
    user.refresh_from_db()
    return user


@pytest.fixture
def regular(guidelines) -> User:
    """A member at trust level 2, the default level that may propose."""
    return at_level(make_member("regular", guidelines), 2)


@pytest.fixture
def newcomer(guidelines) -> User:
    return at_level(make_member("newbie", guidelines), 1)


@pytest.fixture
def moderator(guidelines) -> User:
    return make_member("mod", guidelines, role=Role.MODERATOR)


def fields(**extra) -> dict:
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    return {
        "title": "Board games in Kraków",
        "description": "Bring a game.",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "format": "in_person",
        "venue": "Café Kraków",
        **extra,
    }


def form_data() -> dict:
    start = timezone.now() + timedelta(days=10)
    return {
        "title": "Board games in Kraków",
        "description": "Bring a game.",
        "starts_at": start.strftime("%Y-%m-%dT18:00"),
        "ends_at": start.strftime("%Y-%m-%dT21:00"),
        "timezone": "Europe/Warsaw",
        "format": "in_person",
        "venue": "Café Kraków",
        "visibility": "community",
    }


def told(event: Event, what: str) -> set[int]:
    return set(
        Notification.objects.filter(event=event, data__what=what).values_list(
            "recipient_id", flat=True
        )
    )


# --- Who may propose ------------------------------------------------------------------------


def test_a_member_below_the_level_may_not_propose(newcomer, regular):
    community = get_community()
    assert community.meetup_trust_level == 2
    assert not permissions.may_propose_event(newcomer, community)
    assert permissions.may_propose_event(regular, community)
    with pytest.raises(PermissionDenied):
        proposals.propose_event(newcomer, **fields())
    client = client_for(newcomer)
    assert client.get("/events/propose/").status_code == 403
    assert client.post("/events/propose/", form_data()).status_code == 403
    assert b"/events/propose/" not in client.get("/events/").content
    assert not Event.objects.exists()


def test_the_admins_choose_the_level_on_the_settings_page(guidelines, newcomer):
    admin = make_member("admin", guidelines, role=Role.ADMIN)
    page = client_for(admin).get("/manage/")
    assert b"meetup_trust_level" in page.content
    data = {
        "settings-name": "Townsquare",
        "settings-access_mode": "public",
        "settings-meetup_trust_level": "1",
        "save_settings": "1",
    }
    response = client_for(admin).post("/manage/", data)
    assert response.status_code == 302, response.content
    assert get_community().meetup_trust_level == 1
    assert permissions.may_propose_event(newcomer, get_community())
    entry = AuditEntry.objects.get(action="community.updated")
    assert entry.after["meetup_trust_level"] == 1
    with pytest.raises(ValidationError):
        core_actions.update_community(admin, meetup_trust_level=5)
    with pytest.raises(PermissionDenied):
        core_actions.update_community(newcomer, meetup_trust_level=0)


def test_silenced_members_and_visitors_may_not_propose(regular):
    User.objects.filter(pk=regular.pk).update(silenced_until=timezone.now() + timedelta(days=1))
    regular.refresh_from_db()
    assert not permissions.may_propose_event(regular, get_community())
    with pytest.raises(PermissionDenied, match="silenced"):
        proposals.propose_event(regular, **fields())
    assert Client().get("/events/propose/").status_code == 302  # to sign in


def test_a_proposal_is_seen_by_its_proposer_and_the_moderators_only(regular, moderator, guidelines):
    response = client_for(regular).post("/events/propose/", form_data())
    assert response.status_code == 302, response.content
    event = Event.objects.get()
    assert event.status == EventStatus.PROPOSED and event.created_by == regular
    assert list(EventHost.objects.filter(event=event).values_list("user_id", flat=True)) == [
        regular.pk
    ]
    other = at_level(make_member("other", guidelines), 3)
    community = get_community()
    for user, sees in ((regular, True), (moderator, True), (other, False)):
        assert permissions.may_view_event(user, community, event) is sees
        status = client_for(user).get(event.get_absolute_url()).status_code
        assert status == (200 if sees else 404)
    assert Client().get(event.get_absolute_url()).status_code == 404
    everyone = [regular.pk, moderator.pk, other.pk]
    assert permissions.members_who_may_view_event(everyone, community, event) == {
        regular.pk,
        moderator.pk,
    }
    assert b"Board games" not in client_for(other).get("/events/").content
    assert (
        b"Proposed: waiting for the moderators."
        in client_for(regular).get(event.get_absolute_url()).content
    )


def test_the_proposer_cannot_publish_their_own_proposal(regular):
    event = proposals.propose_event(regular, **fields())
    with pytest.raises(ValidationError):
        actions.publish_event(regular, event)
    page = client_for(regular).get(event.get_absolute_url())
    assert f"/events/{event.pk}/publish/".encode() not in page.content
    client_for(regular).post(f"/events/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.status == EventStatus.PROPOSED


def test_proposals_are_rate_limited(regular, limits_on, settings):
    settings.MODERATION_RATE_LIMITS = {**settings.MODERATION_RATE_LIMITS, "event_proposal": (2, 60)}
    proposals.propose_event(regular, **fields())
    proposals.propose_event(regular, **fields(title="Second"))
    with pytest.raises(RateLimited):
        proposals.propose_event(regular, **fields(title="Third"))
    assert Event.objects.count() == 2


# --- The moderators' queue --------------------------------------------------------------------


def test_only_moderators_see_the_queue(regular, moderator, manager):
    event = proposals.propose_event(regular, **fields())
    assert client_for(regular).get("/moderation/events/").status_code == 403
    assert (
        client_for(regular).post(f"/moderation/events/{event.pk}/", {"approve": "1"}).status_code
        == 403
    )
    page = client_for(moderator).get("/moderation/events/")
    assert page.status_code == 200 and b"Board games" in page.content
    assert b"/moderation/events/" in client_for(manager).get("/manage/").content
    with pytest.raises(PermissionDenied):
        proposals.approve_proposal(regular, event)


def test_the_queue_costs_the_same_queries_whatever_its_length(
    regular, moderator, django_assert_max_num_queries
):
    proposals.propose_event(regular, **fields())
    client = client_for(moderator)
    client.get("/moderation/events/")
    with django_assert_max_num_queries(12) as few:
        client.get("/moderation/events/")
    limit = len(few.captured_queries)
    for number in range(5):
        proposals.propose_event(regular, **fields(title=f"Meetup {number}"))
    with django_assert_max_num_queries(limit):
        assert b"Meetup 4" in client.get("/moderation/events/").content


def test_approving_publishes_with_the_proposer_as_host_audited_and_told(
    regular, moderator, committed
):
    event = proposals.propose_event(regular, **fields())
    with committed():
        response = client_for(moderator).post(f"/moderation/events/{event.pk}/", {"approve": "1"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED and event.topic is not None
    assert event.topic.author == regular
    assert EventHost.objects.filter(event=event, user=regular).exists()
    assert permissions.may_manage_event(regular, event)
    entry = AuditEntry.objects.get(action="event.proposal_approved")
    assert entry.actor_id == moderator.pk and entry.target_id == str(event.pk)
    assert told(event, "approved") == {regular.pk}
    note = Notification.objects.get(event=event, data__what="approved")
    assert "is approved and published" in notification_queries.describe(note)
    with pytest.raises(ValidationError):
        proposals.approve_proposal(moderator, event)  # decided already
    assert AuditEntry.objects.filter(action__startswith="event.proposal").count() == 1


def test_declining_needs_a_reason_which_is_audited_and_told(regular, moderator, committed):
    event = proposals.propose_event(regular, **fields())
    client = client_for(moderator)
    client.post(f"/moderation/events/{event.pk}/", {"decline": "1", "reason": "  "})
    event.refresh_from_db()
    assert event.status == EventStatus.PROPOSED
    assert not AuditEntry.objects.filter(action="event.proposal_declined").exists()
    with committed():
        client.post(
            f"/moderation/events/{event.pk}/", {"decline": "1", "reason": "We have one that day."}
        )
    event.refresh_from_db()
    assert event.status == EventStatus.DECLINED
    assert event.decline_reason == "We have one that day."
    entry = AuditEntry.objects.get(action="event.proposal_declined")
    assert entry.actor_id == moderator.pk and entry.reason == "We have one that day."
    assert told(event, "declined") == {regular.pk}
    note = Notification.objects.get(event=event, data__what="declined")
    assert "We have one that day." in notification_queries.describe(note)
    page = client_for(regular).get(event.get_absolute_url())
    assert b"We have one that day." in page.content
    assert b"Board games" not in client.get("/moderation/events/").content
    with pytest.raises(ValidationError):
        proposals.decline_proposal(moderator, event, "Again")
