"""The satisfaction trend's months are cached under each month's stamp: every change to a
month's answers — a backdated answer, a member's deletion, a rebuild after writes that
bypassed the actions — must show in the trend at once (a stale month is a failure)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client

from tests.analytics.conftest import person
from tests.analytics.test_satisfaction import MARCH, URL, at, csat, nps
from tests.conftest import make_member
from townsquare.accounts import privacy
from townsquare.accounts.models import Role
from townsquare.analytics import satisfaction
from townsquare.surveys.models import AnswerMonth, SurveyAnswer

pytestmark = pytest.mark.django_db
FEBRUARY = date(2026, 2, 1)


def february() -> tuple[float | None, int, float | None]:
    by_month = {m: (n.nps, n.answers, c.csat) for m, n, c in satisfaction.monthly(MARCH)}
    return by_month[FEBRUARY]


def test_a_backdated_answer_shows_in_its_month_at_once():
    ann = person()
    nps(ann, 10, date(2026, 2, 3))
    nps(person(), 9, date(2026, 1, 3))
    assert february() == (100, 1, None)  # cached now
    nps(ann, 0, date(2026, 2, 10))  # Ann's latest February answer is now a 0
    assert february() == (-100, 1, None)
    csat(ann, 5, date(2026, 2, 11), topic=1)
    assert february() == (-100, 1, 100)
    by_month = {m: n.nps for m, n, _c in satisfaction.monthly(MARCH)}
    assert by_month[date(2026, 1, 1)] == 100  # January, untouched, still right


@pytest.mark.parametrize("how", ["delete_account", "delete"])
def test_a_deleted_members_answers_each_count_at_once(guidelines, how):
    ann = make_member("ann", guidelines)
    nps(ann, 10, date(2026, 2, 3))
    nps(ann, 0, date(2026, 2, 10))  # only her latest counts while she is a member
    assert february() == (-100, 1, None)
    if how == "delete_account":  # the product's path: an admin acting on her request
        admin = make_member("root", guidelines, role=Role.ADMIN)
        privacy.delete_account(admin, ann, posts="keep", reason="Asked by email")
    else:  # any other path that deletes the row (the Django admin, a shell)
        ann.delete()
    assert SurveyAnswer.objects.filter(member=None).count() == 2
    # Both answers now count alone: 1 promoter and 1 detractor of 2, NPS 0.
    assert february() == (0, 2, None)


def test_a_rebuild_stamps_every_month_after_writes_that_bypassed_the_actions():
    answer = nps(person(), 10, date(2026, 2, 3))
    assert february() == (100, 1, None)
    SurveyAnswer.objects.filter(pk=answer.pk).update(score=3)  # an import, a manual fix
    assert february() == (100, 1, None)  # the cached month: the stamp did not change
    call_command("rollup", "--rebuild", verbosity=0)
    assert february() == (-100, 1, None)
    assert set(AnswerMonth.objects.values_list("month", flat=True)) == {FEBRUARY}


def test_the_page_shows_a_backdated_answer(guidelines):
    manager_client = Client()
    manager_client.force_login(make_member("maja", guidelines, role=Role.MANAGER))
    nps(person(), 10, date(2026, 2, 3))
    query = "?from=2026-03-01&to=2026-03-31"

    def trend() -> dict[date, tuple[float | None, int]]:
        months = manager_client.get(URL + query).context["months"]
        return {m: (n.nps, n.answers) for m, n, _c in months}

    assert trend()[FEBRUARY] == (100, 1)
    nps(person(), 0, date(2026, 2, 4))
    assert trend()[FEBRUARY] == (0, 2)


def test_a_month_without_a_stamp_is_counted_every_time():
    def write(score: int) -> None:  # as an import that bypasses the actions
        SurveyAnswer.objects.create(
            member=person(), kind="nps", score=score, created_at=at(date(2026, 2, 3))
        )

    write(10)
    assert not AnswerMonth.objects.exists()
    assert february() == (100, 1, None)
    write(0)
    assert february() == (0, 2, None)
