"""Every moderation and admin action that existed before the audit log leaves exactly one
audit entry, and still exactly one activity event under its old verb."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from tests.forum.conftest import start_topic
from townsquare.accounts.models import Role
from townsquare.announcements import actions as announcement_actions
from townsquare.core import actions as core_actions
from townsquare.core.models import ActivityEvent, FailedJob
from townsquare.forum import actions as forum_actions
from townsquare.forum.actions import scheduling
from townsquare.groups import actions as group_actions
from townsquare.groups.models import GroupRole
from townsquare.imports import actions as import_actions
from townsquare.moderation.models import AuditEntry
from townsquare.notifications import actions as notification_actions
from townsquare.search.tasks import index_posts

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(guidelines, moderator, manager, bob, general, lounge, newcomers):
    """Who acts and on what: one namespace for every case below."""

    class Cast:
        pass

    c = Cast()
    c.moderator, c.manager, c.bob = moderator, manager, bob
    c.admin = make_member("root", guidelines, role=Role.ADMIN)
    c.general, c.lounge, c.newcomers = general, lounge, newcomers
    c.topic = start_topic(bob, general)
    c.reply = forum_actions.create_post(bob, c.topic, body="A reply worth its own topic.")
    return c


def _pinned(c):
    forum_actions.pin_topic(c.moderator, c.topic, scope="category")
    return c.topic


def _closed(c):
    forum_actions.set_closed(c.moderator, c.topic, True)


def _archived(c):
    forum_actions.set_archived(c.moderator, c.topic, True)


def _unlisted(c):
    forum_actions.set_listed(c.moderator, c.topic, False)


def _deleted_reply(c):
    forum_actions.delete_post(c.moderator, c.reply)


def _deleted_topic(c):
    forum_actions.delete_post(c.moderator, c.topic.posts.get(number=1))


def _scheduled(c):
    return scheduling.schedule_topic(
        c.manager,
        category=c.general,
        title="Weekly wins",
        body="What went well this week?",
        publish_at=timezone.now() + timedelta(days=1),
    )


def _group(c):
    return group_actions.create_group(c.manager, name="Translators", with_category=True)


def _failed_job() -> FailedJob:
    return FailedJob.objects.create(
        task_name=index_posts.name, task_id="t-1", args=[[]], exception_type="OSError"
    )


def _announcement(c):
    return announcement_actions.create_announcement(
        c.manager, subject="Hello", body="Hi {first_name}!", segment="everyone"
    )


def _checked_import(c):
    return import_actions.check_upload(
        c.manager, "members.csv", b"name,email\nNew Person,new.person@example.com\n"
    )


CASES: dict[str, Callable] = {
    "topic.pinned": _pinned,
    "topic.unpinned": lambda c: forum_actions.unpin_topic(c.moderator, _pinned(c)),
    "topic.closed": _closed,
    "topic.opened": lambda c: (_closed(c), forum_actions.set_closed(c.moderator, c.topic, False)),
    "topic.archived": _archived,
    "topic.unarchived": lambda c: (
        _archived(c),
        forum_actions.set_archived(c.moderator, c.topic, False),
    ),
    "topic.unlisted": _unlisted,
    "topic.listed": lambda c: (_unlisted(c), forum_actions.set_listed(c.moderator, c.topic, True)),
    "topic.moved": lambda c: forum_actions.move_topic(c.moderator, c.topic, c.lounge),
    "topic.split": lambda c: forum_actions.split_topic(
        c.moderator, c.topic, [c.reply.pk], title="A topic of its own"
    ),
    "topic.merged": lambda c: forum_actions.merge_topics(
        c.moderator, start_topic(c.bob, c.general, title="The same question again"), c.topic
    ),
    "post.anonymous_author_revealed": lambda c: forum_actions.reveal_anonymous_author(
        c.moderator,
        start_topic(c.bob, c.newcomers, title="Shy question", anonymous=True).posts.get(),
    ),
    "post.edited": lambda c: forum_actions.edit_post(
        c.moderator, c.reply, body="Edited by a moderator", reason="Removed a phone number"
    ),
    "post.deleted": _deleted_reply,
    "post.recovered": lambda c: (
        _deleted_reply(c),
        forum_actions.recover_post(c.moderator, c.reply),
    ),
    "topic.deleted": _deleted_topic,
    "topic.recovered": lambda c: (
        _deleted_topic(c),
        forum_actions.recover_post(c.moderator, c.topic.posts.get(number=1)),
    ),
    "category.created": lambda c: forum_actions.create_category(c.manager, name="Ideas"),
    "category.updated": lambda c: forum_actions.update_category(
        c.manager, c.general, description="Anything goes"
    ),
    "category.deleted": lambda c: forum_actions.delete_category(
        c.manager, forum_actions.create_category(None, name="Empty")
    ),
    "category.reordered": lambda c: forum_actions.reorder_categories(
        c.manager, [c.lounge, c.general]
    ),
    "topic.scheduled": _scheduled,
    "topic.schedule_updated": lambda c: scheduling.update_schedule(
        c.manager,
        _scheduled(c),
        category=c.general,
        title="Weekly wins!",
        body="What went well?",
        publish_at=timezone.now() + timedelta(days=2),
    ),
    "topic.schedule_cancelled": lambda c: scheduling.cancel_schedule(c.manager, _scheduled(c)),
    "community.updated": lambda c: core_actions.update_community(c.admin, name="Makers"),
    "guidelines.published": lambda c: core_actions.publish_guidelines(
        c.manager, "## Be kind\n\nAnd patient.", "Patience"
    ),
    "role.changed": lambda c: core_actions.assign_role(c.admin, c.bob, Role.MODERATOR),
    "job.retried": lambda c: core_actions.retry_failed_job(c.admin, _failed_job()),
    "job.dismissed": lambda c: core_actions.dismiss_failed_job(c.admin, _failed_job()),
    "group.created": _group,
    "group.updated": lambda c: group_actions.update_group(c.manager, _group(c), name="Translation"),
    "group.category_opened": lambda c: group_actions.set_category_audience(
        c.manager, _group(c), "members"
    ),
    "group.member_removed": lambda c: group_actions.remove_member(c.manager, _with_bob(c), c.bob),
    "group.role_changed": lambda c: group_actions.set_role(
        c.manager, _with_bob(c), c.bob, GroupRole.MANAGER
    ),
    "announcement.send_started": lambda c: announcement_actions.send_announcement(
        c.manager, _announcement(c)
    ),
    "members_import.started": lambda c: import_actions.start_import(
        c.manager, _checked_import(c), only_good_rows=False, site_url="https://example.com"
    ),
    "notifications.defaults_changed": lambda c: notification_actions.set_default_preferences(
        c.admin, {"reply": "email"}
    ),
}


def _with_bob(c):
    group = _group(c)
    group_actions.add_member(None, group, c.bob)
    return group


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_action_leaves_exactly_one_audit_entry(cast, action):
    entries = AuditEntry.objects.filter(action=action)
    events = ActivityEvent.objects.filter(verb=action)
    known, known_events = set(entries.values_list("pk", flat=True)), events.count()
    CASES[action](cast)
    entry = entries.exclude(pk__in=known).get()  # exactly one new entry
    assert entry.actor_label.startswith("@")
    # The activity log keeps its verb, once: audit.record wrote it, nobody else.
    assert events.count() == known_events + 1
    assert events.first().created_at == entry.created_at


def test_before_and_after_where_they_mean_something(cast):
    core_actions.assign_role(cast.admin, cast.bob, Role.MODERATOR)
    entry = AuditEntry.objects.get(action="role.changed")
    assert (entry.before, entry.after) == ({"role": "member"}, {"role": "moderator"})
    forum_actions.move_topic(cast.moderator, cast.topic, cast.lounge)
    moved = AuditEntry.objects.get(action="topic.moved")
    assert (moved.before, moved.after) == (
        {"category": cast.general.pk},
        {"category": cast.lounge.pk},
    )
    forum_actions.update_category(cast.manager, cast.general, description="Anything goes")
    updated = AuditEntry.objects.get(action="category.updated")
    assert updated.after == {"description": "Anything goes"}
    assert updated.before == {"description": cast.general.description}


def test_members_own_deletions_and_group_owners_are_not_audited(cast):
    """A member deleting their own post, or a group's owner running their group, is not a
    moderation or admin action: activity only."""
    forum_actions.delete_post(cast.bob, cast.reply)
    forum_actions.edit_post(cast.bob, cast.topic.posts.get(number=1), body="My own words")
    group = group_actions.create_group(None, name="Knitting")
    group_actions.add_member(None, group, cast.bob, role=GroupRole.OWNER)
    group_actions.update_group(cast.bob, group, description="Yarn")
    assert ActivityEvent.objects.filter(verb="post.deleted", actor=cast.bob).count() == 1
    assert ActivityEvent.objects.filter(verb="group.updated", actor=cast.bob).count() == 1
    assert not AuditEntry.objects.filter(actor=cast.bob).exists()


def test_a_step_of_another_audited_action_leaves_only_its_activity_event(cast):
    """A review decision that deletes a post, a group that gets its own category: the
    calling action writes the one audit entry; the step keeps its activity event."""
    forum_actions.delete_post(cast.moderator, cast.reply, audited=False)
    assert ActivityEvent.objects.filter(verb="post.deleted").count() == 1
    assert not AuditEntry.objects.filter(action="post.deleted").exists()
    before = AuditEntry.objects.count()
    group_actions.create_group(cast.manager, name="Translators", with_category=True)
    assert AuditEntry.objects.count() == before + 1
    assert ActivityEvent.objects.filter(
        verb="category.created", target_label="Translators"
    ).exists()
