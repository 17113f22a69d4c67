"""A large fan-out is shared out among the workers as ``deliver_batch`` jobs, which tell
exactly the members one job would have told, once each, whatever runs twice."""

import pytest

from tests.conftest import make_member
from tests.forum.conftest import start_topic
from townsquare.accounts.models import Follow
from townsquare.forum import actions as forum
from townsquare.forum.models import CategoryNotificationSetting, NotificationLevel
from townsquare.notifications import actions, tasks
from townsquare.notifications.models import Kind, MemberMute, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def watchers(guidelines, general):
    people = [make_member(f"watcher{i}", guidelines) for i in range(7)]
    for user in people:
        CategoryNotificationSetting.objects.create(
            user=user, category=general, level=NotificationLevel.WATCHING
        )
    return people


def received(event_key: str) -> dict[int, str]:
    rows = Notification.objects.filter(event_key=event_key).values_list("recipient_id", "kind")
    return dict(rows)


def test_a_shared_fan_out_tells_the_same_members_as_one_job(
    member, bob, general, watchers, monkeypatch
):
    Follow.objects.create(follower=bob, followed=member)
    MemberMute.objects.create(user=watchers[0], muted=member)  # hears nothing from alice
    topic = start_topic(member, general)
    post = topic.posts.get(number=1)
    Notification.objects.all().delete()

    # One job, in batches of two: the reference.
    monkeypatch.setattr(actions, "BATCH_SIZE", 2)
    assert actions.fan_out_now("post", post.pk) == 7
    expected = received(f"post:{post.pk}")
    assert expected[bob.pk] == Kind.FOLLOWED_TOPIC
    assert watchers[0].pk not in expected and member.pk not in expected
    Notification.objects.all().delete()

    # Shared out in slices of three: what the jobs get, and what they deliver.
    monkeypatch.setattr(actions, "JOB_SIZE", 3)
    slices: list[dict[str, list[int]]] = []
    assert actions.fan_out_now("post", post.pk, share=slices.append) == 0
    assert Notification.objects.count() == 0  # nothing delivered by the fan-out itself
    assert sum(len(ids) for part in slices for ids in part.values()) == 8  # muted included
    assert sorted(len(ids) for part in slices for ids in part.values())[-1] <= 3
    added = sum(actions.deliver_share("post", post.pk, {}, part) for part in slices)
    assert added == 7
    assert received(f"post:{post.pk}") == expected

    # Each slice delivered again (a redelivered job): nothing twice.
    assert sum(actions.deliver_share("post", post.pk, {}, part) for part in slices) == 0
    assert Notification.objects.count() == 7


def test_the_fan_out_job_queues_deliver_batch_jobs(member, general, watchers, monkeypatch):
    monkeypatch.setattr(actions, "JOB_SIZE", 2)
    topic = start_topic(member, general)
    post = topic.posts.get(number=1)
    Notification.objects.all().delete()
    tasks.fan_out.apply(args=["post", post.pk, {}])  # eager: the slices run at once
    assert set(received(f"post:{post.pk}")) == {user.pk for user in watchers}
    tasks.fan_out.apply(args=["post", post.pk, {}])
    assert Notification.objects.filter(event_key=f"post:{post.pk}").count() == 7


def test_a_slice_of_a_deleted_post_tells_nobody_and_odd_kinds_are_refused(
    member, general, watchers
):
    topic = start_topic(member, general)
    post = topic.posts.get(number=1)
    Notification.objects.all().delete()
    with pytest.raises(ValueError, match="unknown notification kinds"):
        actions.deliver_share("post", post.pk, {}, {"nonsense": [watchers[0].pk]})
    forum.delete_post(member, post)
    assert actions.deliver_share("post", post.pk, {}, {Kind.WATCHED_TOPIC: [watchers[0].pk]}) == 0
    assert Notification.objects.count() == 0
