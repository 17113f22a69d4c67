"""Profiles: activity the viewer may see, visible groups, and following members."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import make_member
from townsquare.accounts import actions
from townsquare.accounts.models import Follow, User
from townsquare.core.activity import ActivityEvent
from townsquare.forum import actions as forum_actions
from townsquare.forum.models import CategoryKind
from townsquare.groups import actions as group_actions
from townsquare.groups.models import JoinPolicy


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_activity_counts_only_what_the_viewer_may_see(guidelines, insider, boardroom):
    asker = make_member("asker", guidelines)
    questions = forum_actions.create_category(None, name="Questions", kind=CategoryKind.QA)
    newcomers = forum_actions.create_category(None, name="Newcomers", kind=CategoryKind.ANONYMOUS)
    public = forum_actions.create_topic(insider, questions, title="Public question", body="Why?")
    forum_actions.create_topic(insider, boardroom, title="Board secret", body="Numbers.")
    forum_actions.create_topic(
        insider, newcomers, title="Anonymous worry", body="Shy.", anonymous=True
    )
    question = forum_actions.create_topic(asker, questions, title="How to export?", body="CSV?")
    answer = forum_actions.create_post(insider, question, body="Use the export button.")
    forum_actions.accept_answer(asker, answer)
    forum_actions.create_post(insider, public, body="Answering myself.")

    visitor_page = client_for(None).get("/u/insider/").content.decode()
    assert "2 topics" not in visitor_page and "1 topic" in visitor_page
    assert "2 replies" in visitor_page and "1 accepted answer" in visitor_page
    assert "Public question" in visitor_page
    assert "Board secret" not in visitor_page and "Anonymous worry" not in visitor_page

    own_page = client_for(insider).get("/u/insider/").content.decode()
    assert "2 topics" in own_page and "Board secret" in own_page
    assert "Anonymous worry" not in own_page  # anonymous stays anonymous on profiles


@pytest.mark.django_db
def test_profile_shows_only_groups_the_viewer_may_see(guidelines):
    member = make_member("joiner", guidelines)
    open_group = group_actions.create_group(None, name="Python users")
    secret = group_actions.create_group(None, name="Hidden council", policy=JoinPolicy.SECRET)
    group_actions.add_member(None, open_group, member)
    group_actions.add_member(None, secret, member)
    other = client_for(make_member("other", guidelines)).get("/u/joiner/").content.decode()
    assert "Python users" in other and "Hidden council" not in other
    own = client_for(member).get("/u/joiner/").content.decode()
    assert "Hidden council" in own


@pytest.mark.django_db
def test_follow_and_unfollow_are_idempotent_and_recorded(guidelines):
    fan, star = make_member("fan", guidelines), make_member("star", guidelines)
    actions.follow(fan, star)
    actions.follow(fan, star)
    assert Follow.objects.filter(follower=fan, followed=star).count() == 1
    assert ActivityEvent.objects.filter(verb="member.followed").count() == 1
    actions.unfollow(fan, star)
    actions.unfollow(fan, star)
    assert not Follow.objects.exists()
    assert ActivityEvent.objects.filter(verb="member.unfollowed").count() == 1


@pytest.mark.django_db
def test_no_self_follow(member):
    with pytest.raises(ValidationError):
        actions.follow(member, member)
    response = client_for(member).post("/u/alice/follow/")
    assert response.status_code == 302
    assert not Follow.objects.exists()
    api = client_for(member).post("/api/v1/members/alice/follow")
    assert api.status_code == 422 and "yourself" in api.json()["detail"]


@pytest.mark.django_db
def test_visitors_cannot_follow(client: Client, member):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        actions.follow(AnonymousUser(), member)
    response = client.post("/u/alice/follow/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post("/api/v1/members/alice/follow").status_code == 401
    assert not Follow.objects.exists()
    assert "Follow</button>" not in client.get("/u/alice/").content.decode()


@pytest.mark.django_db
def test_follow_button_page_htmx_and_api(guidelines, member):
    fan = client_for(make_member("fan", guidelines))
    page = fan.get("/u/alice/").content.decode()
    assert "0 followers" in page and "Follow</button>" in page
    assert fan.post("/u/alice/follow/")["Location"] == "/u/alice/"
    assert "1 follower" in fan.get("/u/alice/").content.decode()
    fragment = fan.post("/u/alice/unfollow/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "0 followers" in fragment.content.decode() and "<html" not in fragment.content.decode()
    body = fan.post("/api/v1/members/alice/follow").json()
    assert body == {"handle": "alice", "following": True, "followers": 1}
    body = fan.delete("/api/v1/members/alice/follow").json()
    assert body == {"handle": "alice", "following": False, "followers": 0}


@pytest.mark.django_db
def test_follow_needs_a_visible_member_and_csrf(guidelines):
    fan = make_member("fan", guidelines)
    make_member("ghost", None)  # never accepted the guidelines: not a member yet
    assert client_for(fan).post("/u/ghost/follow/").status_code == 404
    assert client_for(fan).post("/api/v1/members/nobody/follow").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(fan)
    make_member("star", guidelines)
    assert strict.post("/u/star/follow/").status_code == 403
    assert not Follow.objects.exists()
