"""Warnings, silences and suspensions: the actions, their audit entries and notices, and
what a silenced or suspended member can still do."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.api.conftest import Api
from tests.conftest import PASSWORD, make_member
from tests.forum.conftest import client_for, start_topic
from townsquare.accounts.models import Role
from townsquare.core import permissions
from townsquare.core.queries import get_community
from townsquare.forum import actions as forum
from townsquare.messaging import actions as messaging
from townsquare.moderation.actions import sanctions
from townsquare.moderation.actions.flags import flag
from townsquare.moderation.models import AuditEntry, Notice, Sanction, SanctionKind
from townsquare.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def sanction_entries():
    """Audit entries of sanctions (the fixtures' own set-up writes other entries)."""
    return AuditEntry.objects.filter(
        action__in=["member.warned", "member.silenced", "member.suspended", "sanction.lifted"]
    )


def days(n: float):
    return timezone.now() + timedelta(days=n)


def test_warning_leaves_one_audit_entry_and_a_notice(
    moderator, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        warning = sanctions.warn(
            moderator, member, reason="Please stay on topic.", guideline="be-kind"
        )
    assert warning.kind == SanctionKind.WARNING
    entries = AuditEntry.objects.filter(action="member.warned")
    assert entries.count() == 1
    assert entries[0].reason == "Please stay on topic."
    assert entries[0].actor_label == "@mod"
    notice = Notice.objects.get(member=member)
    assert (notice.action, notice.guideline, notice.sanction) == (
        "member.warned",
        "be-kind",
        warning,
    )
    assert Notification.objects.filter(recipient=member, kind=Kind.NOTICE).count() == 1
    member.refresh_from_db()
    assert member.silenced_until is None and member.suspended_until is None


def test_silence_sets_the_mirror_and_records_before_and_after(moderator, member):
    until = days(3)
    sanctions.silence(moderator, member, until=until, reason="Cool down.")
    member.refresh_from_db()
    assert member.silenced_until == until
    entry = AuditEntry.objects.get(action="member.silenced")
    assert entry.before == {"silenced_until": None}
    assert entry.after["silenced_until"] == until.isoformat()
    assert permissions.is_silenced(member)


def test_the_mirror_keeps_the_longest_and_falls_back_on_lift(moderator, member):
    short = sanctions.silence(moderator, member, until=days(1), reason="One day.")
    long = sanctions.silence(moderator, member, until=days(10), reason="Ten days.")
    member.refresh_from_db()
    assert member.silenced_until == long.ends_at
    sanctions.lift(moderator, long, reason="Apologised.")
    member.refresh_from_db()
    assert member.silenced_until == short.ends_at
    sanctions.lift(moderator, short, reason="All good.")
    member.refresh_from_db()
    assert member.silenced_until is None
    assert AuditEntry.objects.filter(action="sanction.lifted").count() == 2
    assert AuditEntry.objects.filter(action="member.silenced").count() == 2
    assert Notice.objects.filter(member=member, action="sanction.lifted").count() == 2


def test_lifting_twice_is_refused(moderator, member):
    silence = sanctions.silence(moderator, member, until=days(1), reason="Wait.")
    sanctions.lift(moderator, silence, reason="Early.")
    with pytest.raises(ValidationError):
        sanctions.lift(moderator, silence, reason="Again.")
    assert AuditEntry.objects.filter(action="sanction.lifted").count() == 1


def test_suspension_for_good_and_its_lift(moderator, member):
    suspension = sanctions.suspend(moderator, member, until=None, reason="Spam account.")
    member.refresh_from_db()
    assert suspension.ends_at is None
    assert member.suspended_until == sanctions.FOR_GOOD
    assert permissions.is_suspended(member)
    sanctions.lift(moderator, suspension, reason="Mistaken identity.")
    member.refresh_from_db()
    assert member.suspended_until is None
    assert AuditEntry.objects.filter(action="member.suspended").count() == 1


@pytest.mark.parametrize(
    ("until", "field"),
    [(None, "until"), ("past", "until"), ("far", "until")],
)
def test_a_silence_needs_an_end_in_the_future_within_the_maximum(moderator, member, until, field):
    value = {None: None, "past": days(-1), "far": days(366)}[until]
    with pytest.raises(ValidationError) as error:
        sanctions.silence(moderator, member, until=value, reason="Because.")
    assert field in error.value.error_dict
    assert not Sanction.objects.exists() and not sanction_entries().exists()


def test_a_reason_is_required(moderator, member):
    with pytest.raises(ValidationError) as error:
        sanctions.warn(moderator, member, reason="   ")
    assert "reason" in error.value.error_dict
    assert not sanction_entries().exists()


def test_an_unknown_guideline_section_is_refused(moderator, member):
    with pytest.raises(ValidationError) as error:
        sanctions.warn(moderator, member, reason="x", guideline="no-such-section")
    assert "guideline" in error.value.error_dict


def test_only_staff_sanction_and_never_upwards(moderator, member, bob, manager):
    with pytest.raises(PermissionDenied):
        sanctions.warn(bob, member, reason="I do not like you.")
    with pytest.raises(PermissionDenied):
        sanctions.suspend(moderator, manager, until=days(1), reason="Coup.")
    with pytest.raises(PermissionDenied):
        sanctions.warn(moderator, moderator, reason="Self.")
    assert not sanction_entries().exists()


def test_a_silenced_member_reads_but_does_not_write(moderator, member, bob, general):
    topic = start_topic(bob, general)
    post = topic.posts.get()
    sanctions.silence(moderator, member, until=days(2), reason="Cool down.")
    member.refresh_from_db()
    assert not permissions.may_reply(member, get_community(), topic)
    assert not permissions.may_upload(member)
    assert not permissions.may_message(member, bob)
    with pytest.raises(permissions.Silenced) as error:
        forum.create_post(member, topic, body="Let me in")
    assert "silenced until" in str(error.value)
    with pytest.raises(permissions.Silenced):
        start_topic(member, general, title="A new topic by a silenced member")
    with pytest.raises(permissions.Silenced):
        forum.add_reaction(member, post, "insightful")
    with pytest.raises(permissions.Silenced):
        flag(member, post, reason="spam")
    with pytest.raises(permissions.Silenced):
        messaging.start_conversation(member, None, ["bob"], "Hi")
    # Reading still works.
    page = client_for(member).get(topic.get_absolute_url())
    assert page.status_code == 200
    assert "you can read but not post" in page.content.decode()


def test_a_silence_ends_by_itself(moderator, member, bob, general):
    topic = start_topic(bob, general)
    sanctions.silence(moderator, member, until=days(1), reason="Short.")
    member.refresh_from_db()
    member.silenced_until = timezone.now() - timedelta(seconds=1)  # the time has passed
    member.save(update_fields=["silenced_until"])
    assert not permissions.is_silenced(member)
    assert forum.create_post(member, topic, body="I am back").number == 2


def test_a_silenced_member_gets_a_clear_json_error(moderator, member, general):
    sanctions.silence(moderator, member, until=days(2), reason="Cool down.")
    answer = Api(member).post(
        "/topics", {"category_id": general.pk, "title": "Hello all", "body": "Hi"}
    )
    assert answer.status_code == 403
    assert "silenced until" in answer.json()["detail"]


def test_a_suspended_member_is_signed_out_on_the_next_request(moderator, member):
    client = client_for(member)
    assert client.get("/notices/").status_code == 200
    sanctions.suspend(moderator, member, until=days(7), reason="Harassment.")
    page = client.get("/notices/")
    assert page.status_code == 403
    assert "Harassment." in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/notices/").status_code == 302  # signed out: to the sign-in page


def test_staff_page_sanctions_and_lifts(moderator, member, guidelines):
    client = client_for(moderator)
    page = client.get(f"/moderation/members/{member.pk}/")
    assert page.status_code == 200
    answer = client.post(
        f"/moderation/members/{member.pk}/",
        {"kind": "silence", "days": "3", "reason": "Too many posts.", "guideline": "be-kind"},
    )
    assert answer.status_code == 302
    silence = Sanction.objects.get(member=member)
    assert silence.guideline == "be-kind"
    assert timedelta(days=2, hours=23) < silence.ends_at - timezone.now() <= timedelta(days=3)
    missing = client.post(f"/moderation/members/{member.pk}/", {"kind": "suspend", "reason": "x"})
    assert missing.status_code == 400
    assert "Say for how many days" in missing.content.decode()
    lifted = client.post(
        f"/moderation/members/{member.pk}/lift/{silence.pk}/", {"reason": "Talked it through."}
    )
    assert lifted.status_code == 302
    silence.refresh_from_db()
    assert silence.lifted_by == moderator
    assert "Lifted" in client.get(f"/moderation/members/{member.pk}/").content.decode()


def test_staff_page_is_for_staff_and_linked_from_the_profile(moderator, member, bob):
    assert client_for(bob).get(f"/moderation/members/{member.pk}/").status_code == 403
    profile = client_for(moderator).get(f"/u/{member.handle}/").content.decode()
    assert f"/moderation/members/{member.pk}/" in profile
    assert (
        f"/moderation/members/{member.pk}/"
        not in client_for(bob).get(f"/u/{member.handle}/").content.decode()
    )


def test_a_manager_may_suspend_a_moderator(manager, guidelines):
    other = make_member("othermod", guidelines, role=Role.MODERATOR)
    sanctions.suspend(manager, other, until=days(1), reason="Abused the tools.")
    assert (
        Client().post("/accounts/login/", {"login": other.email, "password": PASSWORD}).status_code
        == 403
    )
