"""Polls in posts: one ballot per member, results after voting or closing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.forum.conftest import client_for, start_topic
from townsquare.forum import actions
from townsquare.forum.models import Poll, PollVote

SINGLE = """Which one?

[poll type=single]
# Where shall we meet?
* Kraków
* Warszawa
* 上海
[/poll]
"""


@pytest.fixture
def poll(member, general) -> Poll:
    start_topic(member, general, title="Meetup city poll", body=SINGLE)
    return Poll.objects.get()


@pytest.mark.django_db
def test_a_poll_is_created_from_the_post(poll):
    assert poll.question == "Where shall we meet?"
    assert [o.text for o in poll.options.all()] == ["Kraków", "Warszawa", "上海"]
    assert "[poll" not in poll.post.body_html


@pytest.mark.django_db
def test_one_ballot_per_member_that_can_change(poll, bob):
    krakow, warszawa, _shanghai = poll.options.all()
    actions.vote(bob, poll, [krakow.pk])
    actions.vote(bob, poll, [krakow.pk])
    assert PollVote.objects.filter(user=bob).count() == 1
    actions.vote(bob, poll, [warszawa.pk])
    poll.refresh_from_db()
    assert poll.voter_count == 1
    assert [o.vote_count for o in poll.options.all()] == [0, 1, 0]
    with pytest.raises(ValidationError, match="exactly one"):
        actions.vote(bob, poll, [krakow.pk, warszawa.pk])
    actions.retract_vote(bob, poll)
    poll.refresh_from_db()
    assert poll.voter_count == 0


@pytest.mark.django_db
def test_someone_elses_option_id_is_refused(poll, bob, member, general):
    start_topic(member, general, title="Another poll here", body=SINGLE.replace("Kraków", "Gdańsk"))
    other = Poll.objects.exclude(pk=poll.pk).get()
    with pytest.raises(ValidationError, match="Choose one of the poll's options"):
        actions.vote(bob, poll, [other.options.first().pk])


@pytest.mark.django_db
def test_multiple_choice_respects_its_limit(member, bob, general):
    body = "[poll type=multiple max=2]\n* a\n* b\n* c\n[/poll]"
    start_topic(member, general, title="Pick two of three", body=body)
    poll = Poll.objects.get()
    a, b, c = poll.options.all()
    with pytest.raises(ValidationError, match="at most 2"):
        actions.vote(bob, poll, [a.pk, b.pk, c.pk])
    actions.vote(bob, poll, [a.pk, c.pk])
    assert sorted(PollVote.objects.values_list("option__text", flat=True)) == ["a", "c"]


@pytest.mark.django_db
def test_results_show_after_voting_or_closing(poll, bob, member, moderator):
    topic_url = poll.post.topic.get_absolute_url()
    assert "<meter" not in client_for(bob).get(topic_url).content.decode()
    assert "Results are shown after you vote" in client_for(None).get(topic_url).content.decode()
    actions.vote(bob, poll, [poll.options.first().pk])
    assert "<meter" in client_for(bob).get(topic_url).content.decode()
    assert "<meter" not in client_for(moderator).get(topic_url).content.decode()
    with pytest.raises(PermissionDenied):
        actions.close_poll(bob, poll)
    actions.close_poll(member, poll)
    page = client_for(moderator).get(topic_url).content.decode()
    assert "<meter" in page
    with pytest.raises(ValidationError, match="closed"):
        actions.vote(moderator, poll, [poll.options.first().pk])


@pytest.mark.django_db
def test_a_poll_closes_at_its_time(member, bob, general):
    closes = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%MZ")
    start_topic(
        member, general, title="Closing poll here", body=f"[poll close={closes}]\n* x\n* y\n[/poll]"
    )
    poll = Poll.objects.get()
    assert poll.closes_at is not None and not poll.is_closed()
    assert poll.is_closed(now=timezone.now() + timedelta(hours=2))
    with pytest.raises(ValidationError, match="already passed"):
        start_topic(
            member,
            general,
            title="Past poll here",
            body="[poll close=2020-01-01T00:00Z]\n* x\n* y\n[/poll]",
        )


@pytest.mark.django_db
def test_options_of_a_poll_with_votes_cannot_change(poll, bob, member):
    actions.vote(bob, poll, [poll.options.first().pk])
    with pytest.raises(ValidationError, match="already has votes"):
        actions.edit_post(member, poll.post, body=SINGLE.replace("Warszawa", "Wrocław"))
    # The question may still be reworded.
    actions.edit_post(member, poll.post, body=SINGLE.replace("Where shall we meet?", "Which city?"))
    poll.refresh_from_db()
    assert poll.question == "Which city?" and poll.voter_count == 1


@pytest.mark.django_db
def test_voting_through_the_page(poll, bob):
    client = client_for(bob)
    option = poll.options.last()
    response = client.post(f"/polls/{poll.pk}/vote/", {"options": [option.pk]})
    assert response.status_code == 302
    assert PollVote.objects.get(user=bob).option == option
    response = client.post(f"/polls/{poll.pk}/vote/", {"options": ["not-a-number"]}, follow=True)
    assert "Choose an option." in response.content.decode()
