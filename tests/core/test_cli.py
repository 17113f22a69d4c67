import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from townsquare.accounts.models import ApiToken, Role, User
from townsquare.core.models import Community, GuidelinesVersion
from townsquare.mentoring.models import MentorRequest
from townsquare.messaging.models import Conversation
from townsquare.onboarding.queries import due_member_ids


@pytest.mark.django_db
def test_createadmin_createuser_and_apitoken(capsys):
    call_command("createadmin", "--email", "Boss@Example.com", "--password", "pw-123456")
    admin = User.objects.get(handle="Boss")
    assert admin.role == Role.ADMIN and admin.check_password("pw-123456")
    assert admin.emailaddress_set.get().verified
    call_command(
        "createuser", "--email", "m@example.com", "--handle", "mod", "--password", "pw",
        "--role", "moderator",
    )  # fmt: skip
    assert User.objects.get(handle="mod").role == Role.MODERATOR
    capsys.readouterr()
    call_command("apitoken", "mod")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("tsq_")
    assert ApiToken.objects.get(user__handle="mod").hint == raw[:8]


@pytest.mark.django_db
def test_createuser_refuses_duplicates_clearly():
    call_command("createuser", "--email", "a@example.com", "--handle", "aaa", "--password", "p")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", "--email", "A@example.com", "--handle", "bbb", "--password", "p")
    with pytest.raises(CommandError, match="handle is taken"):
        call_command("createuser", "--email", "b@example.com", "--handle", "AAA", "--password", "p")
    with pytest.raises(CommandError, match="No active member"):
        call_command("apitoken", "nobody")


@pytest.mark.django_db
def test_demo_loads_once(capsys):
    call_command("demo")
    first = capsys.readouterr().out
    assert "admin@example.com" in first
    counts = (User.objects.count(), GuidelinesVersion.objects.count())
    assert counts[0] >= 200
    languages = set(User.objects.values_list("language", flat=True))
    assert {"en", "zh-hans", "pl"} <= languages
    # The administrator has conversations to read; mentors and mentees are paired.
    admin = User.objects.get(email="admin@example.com")
    assert Conversation.objects.filter(participants__user=admin).count() == 3
    assert MentorRequest.objects.filter(status="accepted").count() == 3
    # Its people and staff joined over the past year: the welcome series starts only for
    # the newcomer whose first post waits for approval and the readers of the generated
    # history who joined in the last days, instead of mailing two hundred people at the
    # first tick.
    due = User.objects.filter(pk__in=due_member_ids(timezone.now()))
    recent = timezone.now() - timedelta(days=17)
    assert due.exclude(handle__startswith="reader").count() == 1
    assert not due.filter(handle__startswith="reader", date_joined__lt=recent).exists()
    call_command("demo")
    assert (User.objects.count(), GuidelinesVersion.objects.count()) == counts
    again = capsys.readouterr().out
    assert "0 members added" in again and "Messages:" not in again
    assert Conversation.objects.filter(participants__user=admin).count() == 3
    assert Community.objects.get().mission_html


def test_console_script_wraps_django():
    result = subprocess.run(
        [sys.executable, "-m", "townsquare.cli", "help"], capture_output=True, text=True, check=True
    )
    for command in ["serve", "demo", "createadmin", "createuser", "apitoken", "worker", "migrate"]:
        assert command in result.stdout
