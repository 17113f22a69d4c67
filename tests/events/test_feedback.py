"""Event feedback: "How was it?" (1–5 and a comment) from those who came, once, after the
event is over; stored as a CSAT survey answer, so it counts in the satisfaction figures,
and shown to the hosts."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.accounts.models import User
from townsquare.analytics import satisfaction
from townsquare.analytics.periods import Period
from townsquare.core import permissions
from townsquare.events import actions, notices, registrations
from townsquare.events.models import Event
from townsquare.notifications import queries as notification_queries
from townsquare.notifications.models import Notification
from townsquare.surveys import actions as survey_actions
from townsquare.surveys.models import Kind, SurveyAnswer

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(user: User, path: str, data: dict):
    return client_for(user).post(path, data, content_type="application/json")


def into_the_past(event: Event) -> None:
    Event.objects.filter(pk=event.pk).update(
        starts_at=F("starts_at") - timedelta(days=30), ends_at=F("ends_at") - timedelta(days=30)
    )
    event.refresh_from_db()


@pytest.fixture
def people(guidelines) -> dict[str, User]:
    return {name: make_member(name, guidelines) for name in ("going", "came", "maybe", "absent")}


@pytest.fixture
def over(manager, people) -> Event:
    """An event that happened: one going, one who answered maybe and was checked in, one
    maybe who did not come, one not going; finished by the job."""
    event = make_event(manager)
    registrations.rsvp(people["going"], event, "going")
    registrations.rsvp(people["came"], event, "maybe")
    registrations.rsvp(people["maybe"], event, "maybe")
    registrations.rsvp(people["absent"], event, "not_going")
    registrations.check_in(manager, event, member=people["came"])
    into_the_past(event)
    notices.finish_events()
    event.refresh_from_db()
    return event


def feedback_url(event: Event) -> str:
    return f"/api/v1/events/{event.pk}/feedback"


def test_attendees_answer_once_on_the_event_page(over, people):
    going = people["going"]
    page = client_for(going).get(over.get_absolute_url())
    assert b"How was it?" in page.content and b'id="feedback"' in page.content
    response = client_for(going).post(
        f"/events/{over.pk}/feedback/", {"score": "4", "comment": "Good talk"}
    )
    assert response.status_code == 302
    answer = SurveyAnswer.objects.get()
    assert (answer.member, answer.kind, answer.score, answer.comment, answer.context) == (
        going,
        Kind.CSAT,
        4,
        "Good talk",
        f"event:{over.pk}",
    )
    page = client_for(going).get(over.get_absolute_url())
    assert b"How was it?" not in page.content
    assert b"Thank you for telling us how it was." in page.content
    again = client_for(going).post(f"/events/{over.pk}/feedback/", {"score": "5"})
    assert again.status_code == 400
    assert b"You have already told us how this event was." in again.content
    answer = post(going, feedback_url(over), {"score": 5})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "You have already told us how this event was."
    assert SurveyAnswer.objects.count() == 1


def test_only_attendees_are_asked(over, people, guidelines):
    stranger = make_member("stranger", guidelines)
    assert post(people["came"], feedback_url(over), {"score": 5}).status_code == 201
    for name in ("maybe", "absent"):
        user = people[name]
        assert b"How was it?" not in client_for(user).get(over.get_absolute_url()).content
        assert post(user, feedback_url(over), {"score": 5}).status_code == 403
        assert (
            client_for(user).post(f"/events/{over.pk}/feedback/", {"score": "5"}).status_code == 403
        )
    assert post(stranger, feedback_url(over), {"score": 5}).status_code == 403
    assert (
        Client().post(feedback_url(over), {"score": 5}, content_type="application/json").status_code
        == 401
    )
    assert list(SurveyAnswer.objects.values_list("member__handle", flat=True)) == ["came"]


def test_only_after_the_event_is_over(manager, people):
    event = make_event(manager)
    registrations.rsvp(people["going"], event, "going")
    assert b"How was it?" not in client_for(people["going"]).get(event.get_absolute_url()).content
    assert post(people["going"], feedback_url(event), {"score": 5}).status_code == 403
    with pytest.raises(PermissionDenied):
        survey_actions.answer(people["going"], Kind.CSAT, 5, context=f"event:{event.pk}")
    actions.cancel_event(manager, event)
    into_the_past(event)
    assert post(people["going"], feedback_url(event), {"score": 5}).status_code == 403
    assert not SurveyAnswer.objects.exists()


def test_an_event_past_its_end_but_not_yet_finished_by_the_job_counts_as_over(manager, people):
    event = make_event(manager)
    registrations.rsvp(people["going"], event, "going")
    into_the_past(event)
    assert event.status == "published"
    assert post(people["going"], feedback_url(event), {"score": 3}).status_code == 201


@pytest.mark.parametrize("score", [0, 6, -1, "abc", 3.5, None, True, "99999999"])
def test_bad_scores_are_refused_with_a_clear_error(over, people, score):
    response = post(people["going"], feedback_url(over), {"score": score, "comment": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "score"
    assert body["detail"] in ("Choose a score from 1 to 5.", "Choose a score.")
    assert not SurveyAnswer.objects.exists()


def test_a_too_long_comment_is_refused(over, people):
    response = post(people["going"], feedback_url(over), {"score": 4, "comment": "x" * 2001})
    assert response.status_code == 422 and response.json()["field"] == "comment"


def test_feedback_on_an_event_the_member_may_not_see_answers_not_found(
    manager, secret_event, board_member, guidelines
):
    registrations.rsvp(board_member, secret_event, "going")
    now = timezone.now()
    Event.objects.filter(pk=secret_event.pk).update(
        starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    outsider = make_member("outsider", guidelines)
    assert post(outsider, feedback_url(secret_event), {"score": 5}).status_code == 404
    with pytest.raises(PermissionDenied):
        survey_actions.answer(outsider, Kind.CSAT, 5, context=f"event:{secret_event.pk}")
    assert post(board_member, feedback_url(secret_event), {"score": 5}).status_code == 201


def test_only_the_csat_question_is_asked_about_an_event(over, people):
    with pytest.raises(PermissionDenied):
        survey_actions.answer(people["going"], Kind.NPS, 9, context=f"event:{over.pk}")


def test_feedback_counts_in_the_csat_figures(over, people):
    assert post(people["going"], feedback_url(over), {"score": 5}).status_code == 201
    assert post(people["came"], feedback_url(over), {"score": 2}).status_code == 201
    today = timezone.now().date()
    assert satisfaction.csat(Period(today, today)).total == 50.0


def test_hosts_see_the_average_and_the_comments(over, people, manager):
    post(people["going"], feedback_url(over), {"score": 5, "comment": "Loved the Q&A"})
    post(people["came"], feedback_url(over), {"score": 2, "comment": ""})
    assert permissions.may_see_event_feedback(manager, over)
    for path in (over.get_absolute_url(), f"/events/{over.pk}/attendees/"):
        page = client_for(manager).get(path).content.decode()
        assert "3.5 out of 5, from 2 answers" in page
        assert "Loved the Q&amp;A" in page
    attendee_page = client_for(people["going"]).get(over.get_absolute_url()).content.decode()
    assert "Loved the Q&amp;A" not in attendee_page and "out of 5" not in attendee_page


def test_the_follow_up_notice_links_to_the_question(over, people, manager, committed):
    with committed():
        actions.add_resource(
            manager, over, kind="recording", title="Recording", url="https://video.example/1"
        )
    note = Notification.objects.get(recipient=people["going"])
    assert notification_queries.link(note) == f"{over.get_absolute_url()}#feedback"


def test_a_validation_error_is_raised_for_a_second_answer_at_the_action(over, people):
    survey_actions.answer(people["going"], Kind.CSAT, 4, context=f"event:{over.pk}")
    with pytest.raises(ValidationError):
        survey_actions.answer(people["going"], Kind.CSAT, 4, context=f"event:{over.pk}")


def test_the_hosts_view_costs_the_same_queries_whatever_the_number_of_comments(
    over, people, manager, django_assert_max_num_queries
):
    post(people["going"], feedback_url(over), {"score": 5, "comment": "First"})
    client = client_for(manager)
    client.get(over.get_absolute_url())
    with django_assert_max_num_queries(40) as few:
        client.get(over.get_absolute_url())
    limit = len(few.captured_queries)  # read now: the next request empties the query log
    post(people["came"], feedback_url(over), {"score": 4, "comment": "Second"})
    with django_assert_max_num_queries(limit):
        page = client.get(over.get_absolute_url()).content.decode()
    assert "First" in page and "Second" in page
