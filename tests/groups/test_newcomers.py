"""The newcomers group: new members join it when they become members and leave it after
the community's newcomers_days (the daily job), or when they choose to."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import make_member
from townsquare.accounts.models import Role
from townsquare.core import actions as core_actions
from townsquare.core import scheduler
from townsquare.core.models import ActivityEvent
from townsquare.groups import actions
from townsquare.groups.models import GroupKind, GroupMembership, GroupRole


@pytest.mark.django_db
def test_new_members_join_and_leave_after_the_configured_days(guidelines, settings, client):
    boss = make_member("boss", guidelines, role=Role.MANAGER)
    welcome = actions.create_group(boss, name="Welcome", kind=GroupKind.NEWCOMERS)
    core_actions.update_community(None, newcomers_group=welcome, newcomers_days=10)
    early = make_member("early", guidelines)
    make_member("late", guidelines)
    leaver = make_member("leaver", guidelines)
    in_group = GroupMembership.objects.filter(group=welcome)
    assert set(in_group.values_list("user__handle", flat=True)) == {
        "boss", "early", "late", "leaver",
    }  # fmt: skip
    actions.leave_group(leaver, welcome)  # one may leave earlier
    eleven_days_ago = timezone.now() - timedelta(days=11)
    GroupMembership.objects.filter(user=early).update(created_at=eleven_days_ago)
    # The daily job, as the embedded scheduler runs it.
    settings.CELERY_BEAT_SCHEDULE = {
        "retire-newcomers": {"task": "townsquare.groups.tasks.retire_newcomers", "schedule": 1}
    }
    assert scheduler.run_due({}, 10.0) == ["retire-newcomers"]
    assert set(in_group.values_list("user__handle", flat=True)) == {"boss", "late"}
    assert in_group.get(user=boss).role == GroupRole.OWNER  # the owner stays
    assert ActivityEvent.objects.filter(verb="group.newcomer_retired").count() == 1


@pytest.mark.django_db
def test_settings_page_sets_the_newcomers_group(guidelines, admin_member_client):
    boss = make_member("boss", guidelines, role=Role.MANAGER)
    welcome = actions.create_group(boss, name="Welcome", kind=GroupKind.NEWCOMERS)
    response = admin_member_client.post(
        "/manage/",
        {
            "save_settings": "1", "settings-name": "Town", "settings-access_mode": "public",
            "settings-newcomers_group": welcome.pk, "settings-newcomers_days": "14",
        },
    )  # fmt: skip
    assert response.status_code == 302
    from townsquare.core.queries import get_community

    community = get_community()
    assert (community.newcomers_group, community.newcomers_days) == (welcome, 14)
    bad = admin_member_client.post(
        "/manage/",
        {
            "save_settings": "1", "settings-name": "Town", "settings-access_mode": "public",
            "settings-newcomers_days": "0",
        },
    )  # fmt: skip
    assert bad.status_code == 200 and "newcomers_days" in bad.content.decode()
