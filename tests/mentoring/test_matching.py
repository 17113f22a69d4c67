"""Mentor matching: suggestions ranked by shared areas and time zones, the request flow,
and the managers' overview."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.core.queries import get_community
from townsquare.mentoring import actions, queries
from townsquare.mentoring.models import MentorRequest, RequestStatus
from townsquare.messaging.actions import block_member


def member_in(handle, guidelines, timezone, **extra):
    user = make_member(handle, guidelines, **extra)
    user.timezone = timezone
    user.save(update_fields=["timezone"])
    return user


def mentor(handle, guidelines, areas, timezone="UTC", capacity=2, **extra):
    user = member_in(handle, guidelines, timezone, **extra)
    actions.save_mentoring_profile(
        user, is_mentor=True, is_mentee=False, areas=areas, capacity=capacity
    )
    return user


def mentee(handle, guidelines, areas, timezone="UTC"):
    user = member_in(handle, guidelines, timezone)
    actions.save_mentoring_profile(user, is_mentor=False, is_mentee=True, areas=areas)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_suggestions_rank_by_shared_areas_then_time_zone(guidelines):
    learner = mentee("ola", guidelines, ["python", "django", "analytics"], "Europe/Warsaw")
    far = mentor("far", guidelines, ["python", "django"], "Asia/Tokyo")
    near = mentor("near", guidelines, ["python", "django"], "Europe/Berlin")
    one = mentor("one", guidelines, ["analytics"], "Europe/Warsaw")
    mentor("none", guidelines, ["gardening"], "Europe/Warsaw")
    suggested = queries.suggested_mentors(learner, get_community())
    assert [s.profile.user for s in suggested][:3] == [near, far, one]
    assert [s.shared_areas for s in suggested][:3] == [2, 2, 1]
    assert suggested[0].hours_apart == 0 and suggested[1].hours_apart in {7, 8}
    assert suggested[-1].shared_areas == 0  # still suggested, last


@pytest.mark.django_db
def test_time_zones_are_apart_around_the_clock():
    at = queries.timezone.now()
    assert queries.hours_apart("Pacific/Auckland", "Pacific/Honolulu", at) <= 12
    assert queries.hours_apart("UTC", "Not/AZone", at) == 0


@pytest.mark.django_db
def test_request_accept_and_the_mentor_is_no_longer_suggested_when_full(guidelines):
    learner = mentee("ola", guidelines, ["python"])
    other = mentee("kai", guidelines, ["python"])
    teacher = mentor("ana", guidelines, ["python"], capacity=1)
    request = actions.request_mentor(learner, teacher, "Code reviews, please")
    with pytest.raises(ValidationError, match="already asked"):
        actions.request_mentor(learner, teacher, "Again")
    suggested = queries.suggested_mentors(learner, get_community())
    assert teacher not in [s.profile.user for s in suggested]
    with pytest.raises(PermissionDenied):
        actions.accept_request(learner, request, get_community())  # only the mentor answers
    actions.accept_request(teacher, request, get_community())
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED and request.decided_at
    # A conversation between the two opens with the mentor's welcome and the note.
    conversation = request.conversation
    assert set(conversation.participants.values_list("user__handle", flat=True)) == {
        "ola",
        "ana",
    }
    first = conversation.messages.get()
    assert first.author == teacher and "> Code reviews, please" in first.body
    assert queries.suggested_mentors(other, get_community()) == []  # no room left
    with pytest.raises(ValidationError, match="no room"):
        actions.request_mentor(other, teacher, "Me too")


@pytest.mark.django_db
def test_bad_requests_are_refused_clearly(guidelines):
    learner = mentee("ola", guidelines, ["python"])
    not_a_mentor = make_member("bob", guidelines)
    teacher = mentor("ana", guidelines, ["python"])
    with pytest.raises(ValidationError, match="does not offer"):
        actions.request_mentor(learner, not_a_mentor, "Hi")
    with pytest.raises(ValidationError, match="few words"):
        actions.request_mentor(learner, teacher, "   ")
    with pytest.raises(ValidationError, match="looking for a mentor"):
        actions.request_mentor(teacher, learner, "Reverse")
    with pytest.raises(ValidationError):
        actions.save_mentoring_profile(learner, is_mentor=True, is_mentee=False, areas=[])
    with pytest.raises(ValidationError):
        actions.save_mentoring_profile(
            learner, is_mentor=True, is_mentee=False, areas=["x"], capacity=0
        )
    assert not MentorRequest.objects.exists()


@pytest.mark.django_db
def test_the_pages_let_a_mentee_ask_and_a_mentor_accept(guidelines):
    learner = make_member("ola", guidelines)
    teacher = mentor("ana", guidelines, ["python"], display_name="Ana Mentor")
    page = client_for(learner)
    response = page.post(
        "/mentoring/", {"is_mentee": "on", "areas": "Python, <b>SQL</b>", "capacity": 2}
    )
    assert response.status_code == 302
    home = page.get("/mentoring/").content.decode()
    assert "Ana Mentor" in home and "&lt;b&gt;sql&lt;/b&gt;" in home
    asked = page.post("/mentoring/ask/ana/", {"note": "Help me <script>x</script>"})
    assert asked.status_code == 302
    request = MentorRequest.objects.get()
    mentor_page = client_for(teacher).get("/mentoring/").content.decode()
    assert "&lt;script&gt;" in mentor_page and "<script>x" not in mentor_page
    # Someone else's request answers 404; the mentee may not accept their own.
    stranger = client_for(make_member("eve", guidelines))
    assert stranger.post(f"/mentoring/requests/{request.pk}/accept/").status_code == 404
    assert page.post(f"/mentoring/requests/{request.pk}/accept/").status_code == 403
    accepted = client_for(teacher).post(f"/mentoring/requests/{request.pk}/accept/")
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert accepted["Location"] == f"/messages/{request.conversation_id}/"
    assert client_for(learner).get(accepted["Location"]).status_code == 200


@pytest.mark.django_db
def test_managers_see_pairs_and_waiting_requests_others_do_not(guidelines):
    learner = mentee("ola", guidelines, ["python"])
    teacher = mentor("ana", guidelines, ["python"], display_name="Ana Mentor")
    request = actions.request_mentor(learner, teacher, "Please")
    actions.accept_request(teacher, request, get_community())
    actions.request_mentor(mentee("kai", guidelines, ["python"]), teacher, "Me too")
    manager = make_member("boss", guidelines, role=Role.MANAGER)
    page = client_for(manager).get("/manage/mentoring/").content.decode()
    assert page.count("Ana Mentor") == 2
    assert client_for(learner).get("/manage/mentoring/").status_code == 403
    assert Client().get("/mentoring/").status_code == 302


@pytest.mark.django_db
def test_suggestions_take_a_fixed_number_of_queries(community, guidelines):
    learner = mentee("ola", guidelines, ["python", "sql"])
    for n in range(3):
        mentor(f"mentor{n}", guidelines, ["python", f"area{n}"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries_run:
            suggestions = queries.suggested_mentors(learner, community)
            [list(s.profile.areas.all()) for s in suggestions]
        return len(queries_run)

    few = count()
    for n in range(3, 12):
        mentor(f"mentor{n}", guidelines, ["python", f"area{n}"])
    assert count() == few


@pytest.mark.django_db
def test_a_block_either_way_hides_the_mentor_and_refuses_the_request(guidelines):
    learner = mentee("ola", guidelines, ["python"])
    teacher = mentor("ana", guidelines, ["python"])
    block_member(teacher, learner)
    assert queries.suggested_mentors(learner, get_community()) == []
    with pytest.raises(ValidationError, match="does not offer"):
        actions.request_mentor(learner, teacher, "Please")
