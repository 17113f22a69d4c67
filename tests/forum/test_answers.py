"""Q&A: accepted answers, solved lists, and the times support is measured by."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.forum.conftest import client_for, start_topic
from townsquare.core.models import ActivityEvent
from townsquare.core.queries import get_community
from townsquare.forum import actions, queries


@pytest.mark.django_db
def test_the_asker_accepts_and_can_change_the_answer(member, bob, moderator, questions):
    topic = start_topic(member, questions)
    first = actions.create_post(bob, topic, body="Try the export button.")
    second = actions.create_post(moderator, topic, body="Use the API: GET /reports.csv")
    actions.accept_answer(member, first)
    topic.refresh_from_db()
    assert topic.accepted_post == first and topic.solved_at is not None
    actions.accept_answer(member, second)
    topic.refresh_from_db()
    assert topic.accepted_post == second
    solved = ActivityEvent.objects.filter(verb="topic.solved")
    assert solved.count() == 1 and solved.get().data["seconds"] >= 0
    assert ActivityEvent.objects.filter(verb="answer.accepted").count() == 2
    actions.unaccept_answer(member, topic)
    topic.refresh_from_db()
    assert topic.accepted_post is None


@pytest.mark.django_db
def test_only_the_asker_or_a_moderator_accepts(member, bob, moderator, questions, general):
    topic = start_topic(member, questions)
    answer = actions.create_post(bob, topic, body="Here is how.")
    with pytest.raises(PermissionDenied):
        actions.accept_answer(bob, answer)
    response = client_for(bob).post(f"/posts/{answer.pk}/accept/")
    assert response.status_code == 403
    actions.accept_answer(moderator, answer)
    with pytest.raises(ValidationError, match="Only a reply"):
        actions.accept_answer(member, topic.posts.get(number=1))
    discussion = start_topic(member, general, title="Just chatting here", body="Hi all")
    reply = actions.create_post(bob, discussion, body="Hello!")
    with pytest.raises(ValidationError, match="Q&A"):
        actions.accept_answer(member, reply)


@pytest.mark.django_db
def test_solved_and_unsolved_lists(member, bob, questions):
    solved = start_topic(member, questions, title="Solved question here")
    actions.accept_answer(member, actions.create_post(bob, solved, body="Answer"))
    open_question = start_topic(member, questions, title="Open question here", body="Help?")
    community = get_community()
    unsolved = queries.topic_list(member, community, status="unsolved").topics
    assert [t.pk for t in unsolved] == [open_question.pk]
    unanswered = queries.topic_list(member, community, status="unanswered").topics
    assert [t.pk for t in unanswered] == [open_question.pk]
    page = client_for(member).get("/unsolved/").content.decode()
    assert "Open question here" in page and "Solved question here" not in page
    latest = client_for(member).get("/latest/").content.decode()
    assert "Solved" in latest and "Unsolved" in latest


@pytest.mark.django_db
def test_deleting_the_accepted_answer_reopens_the_question(member, bob, moderator, questions):
    topic = start_topic(member, questions)
    answer = actions.create_post(bob, topic, body="Answer")
    actions.accept_answer(member, answer)
    actions.delete_post(moderator, answer)
    topic.refresh_from_db()
    assert topic.accepted_post is None
