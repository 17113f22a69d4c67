"""The demo's survey answers: a year of NPS and CSAT, loaded once, and the page shows them."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.analytics import satisfaction_demo
from townsquare.core.models import ActivityEvent
from townsquare.surveys.models import SurveyAnswer


@pytest.mark.django_db
def test_demo_answers_span_the_year_and_load_once(capsys, settings):
    settings.MODERATION_LIMITS_ENABLED = True  # the demo runs with the real defences
    call_command("demo")
    assert "Surveys: " in capsys.readouterr().out
    answers = SurveyAnswer.objects.all()
    scored = answers.filter(kind="nps", score__isnull=False)
    assert scored.count() >= 50 and answers.filter(score__isnull=True).exists()
    assert answers.filter(kind="csat").exists()
    oldest = answers.order_by("created_at").first().created_at
    assert oldest < timezone.now() - timedelta(days=200)
    assert not answers.filter(member__handle="member").exists()  # left to whoever tries it
    # Every answer went through the action: one activity event each, at its own time.
    assert ActivityEvent.objects.filter(verb__startswith="survey.").count() == answers.count()
    # Nobody answers the NPS question twice within 90 days.
    for member_id in scored.values_list("member", flat=True).distinct()[:20]:
        times = sorted(scored.filter(member=member_id).values_list("created_at", flat=True))
        assert all(b - a >= timedelta(days=90) for a, b in pairwise(times))
    count = answers.count()
    assert satisfaction_demo.load() == {}
    call_command("demo")
    assert SurveyAnswer.objects.count() == count
    manager = Client()
    manager.force_login(User.objects.get(handle="manager"))
    response = manager.get("/manage/analytics/satisfaction/")
    assert response.status_code == 200
    assert any(n.answers for _m, n, _c in response.context["months"])
