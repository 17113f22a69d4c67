"""Capacity holds when many members answer at the same moment (PostgreSQL, real threads
each with its own connection). SQLite takes one writer at a time (transactions begin
IMMEDIATE), so the race this test looks for cannot happen there."""

import threading

import pytest
from django.db import connection, connections

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.events import registrations
from townsquare.events.models import Registration

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads racing for seats need PostgreSQL"
)

CAPACITY = 3
MEMBERS = 12


def _race(work: list) -> list:
    """Run each callable in its own thread, all released at once; their results."""
    barrier = threading.Barrier(len(work))
    results: list = [None] * len(work)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work[index]()
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_never_exceed_capacity_and_the_waiting_list_is_promoted(
    guidelines, django_db_blocker
):
    manager = make_member("boss", guidelines, role="manager")
    event = make_event(manager, capacity=CAPACITY)
    members = [make_member(f"member{i}", guidelines) for i in range(MEMBERS)]
    results = _race([lambda m=m: registrations.rsvp(m, event, "going") for m in members])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results).count("going") == CAPACITY
    assert sorted(results).count("waitlisted") == MEMBERS - CAPACITY
    going = Registration.objects.filter(event=event, status="going")
    assert going.count() == CAPACITY
    # Everyone going cancels at once: the waiting list fills the seats, never more.
    leaving = [r.member for r in going.select_related("member")]
    results = _race([lambda m=m: registrations.rsvp(m, event, "not_going") for m in leaving])
    assert results == ["not_going"] * CAPACITY
    assert Registration.objects.filter(event=event, status="going").count() == CAPACITY
    assert Registration.objects.filter(event=event, status="waitlisted").count() == (
        MEMBERS - 2 * CAPACITY
    )
