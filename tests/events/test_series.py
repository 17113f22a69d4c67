"""Repeating events: presets and custom rules (form and API), the daily horizon job,
editing one occurrence or all following ones, daylight saving, and who sees occurrences."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.conftest import make_member
from tests.events.test_api import client_for
from tests.events.test_api import post as post_json
from townsquare.events import actions, registrations, series, tasks
from townsquare.events.models import Event, EventSeries
from townsquare.forum.models import Topic

pytestmark = pytest.mark.django_db

FIRST_FRIDAY = datetime(2031, 3, 7, 16, 0)  # local, Europe/Warsaw (UTC+1 in winter)
# The event form, for Friday 7 March 2031 16:00 in Warsaw.
FORM = {
    "starts_at": "2031-03-07T16:00", "ends_at": "2031-03-07T17:00", "timezone": "Europe/Warsaw",
    "format": "online", "visibility": "community",
}  # fmt: skip


def repeating(actor, *, local: datetime = FIRST_FRIDAY, repeat: str = "weekly", **fields) -> Event:
    zone = fields.setdefault("timezone", "Europe/Warsaw")
    start = actions.local_to_utc(local, zone)
    fields.setdefault("title", "Community session")
    return series.create_event(
        actor, repeat=repeat, starts_at=start, ends_at=start + timedelta(hours=1), **fields
    )


def occurrences_of(event: Event) -> list[Event]:
    return list(Event.objects.filter(series=event.series_id).order_by("starts_at"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("repeat", "rule", "count", "second"),
    [
        # 90 days from Friday 7 March 2031: 13 Fridays, the last on 30 May.
        ("weekly", "FREQ=WEEKLY;BYDAY=FR", 13, utc(2031, 3, 14, 15)),
        ("monthly_weekday", "FREQ=MONTHLY;BYDAY=1FR", 3, utc(2031, 4, 4, 14)),
        ("monthly_day", "FREQ=MONTHLY;BYMONTHDAY=7", 3, utc(2031, 4, 7, 14)),
    ],
)
def test_presets_make_a_series_of_drafts_like_the_first(manager, repeat, rule, count, second):
    first = repeating(
        manager,
        repeat=repeat,
        capacity=20,
        description="Bring **questions**.",
        guests=[("Anna Nowak", "Head of Product")],
        questions=[("Your role?", True)],
    )
    first.refresh_from_db()
    assert first.series.rule == rule and first.recurrence_id == first.starts_at
    found = occurrences_of(first)
    assert len(found) == count and found[0] == first and found[1].starts_at == second
    for occurrence in found:
        assert occurrence.recurrence_id == occurrence.starts_at
        assert occurrence.ends_at - occurrence.starts_at == timedelta(hours=1)
        assert (occurrence.title, occurrence.capacity, occurrence.status) == (
            "Community session", 20, "draft",
        )  # fmt: skip
        assert occurrence.description_html == first.description_html
        assert [(h.user_id, h.name) for h in occurrence.hosts.all()] == [
            (manager.pk, ""), (None, "Anna Nowak"),
        ]  # fmt: skip
        assert [(q.text, q.required) for q in occurrence.questions.all()] == [("Your role?", True)]
    series.publish_event(manager, first)
    published = occurrences_of(first)
    assert {o.status for o in published} == {"published"}
    assert len({o.topic_id for o in published}) == count  # each its own thread


def test_a_repeating_event_from_the_form_and_custom_rule_errors_on_the_field(manager):
    client = client_for(manager)
    form = FORM | {"title": "Design review", "repeat": "custom"}
    for rule, words in [
        ("FREQ=HOURLY", "at most daily"),
        ("FREQ=WEEKLY;BYHOUR=9", "Leave BYHOUR"),
        ("FREQ=DAILY", "repeats too often"),
        ("", "Write the rule"),
        ("every friday", "not a valid repetition rule"),
    ]:
        response = client.post("/events/new/", form | {"rule": rule})
        page = response.content.decode()
        assert response.status_code == 200 and words in page and "Design review" in page
    assert not Event.objects.exists() and not EventSeries.objects.exists()
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6"
    response = client.post("/events/new/", form | {"rule": rule})
    assert response.status_code == 302
    first = Event.objects.get(title="Design review", recurrence_id=utc(2031, 3, 7, 15))
    assert [o.starts_at for o in occurrences_of(first)] == [
        utc(2031, 3, 7, 15), utc(2031, 3, 17, 15), utc(2031, 3, 19, 15),
        utc(2031, 3, 31, 14), utc(2031, 4, 2, 14), utc(2031, 4, 14, 14),
    ]  # fmt: skip
    page = client.get(f"/events/{first.pk}/edit/").content.decode()
    stored = EventSeries.objects.get(pk=first.series_id).rule
    assert stored == "FREQ=WEEKLY;INTERVAL=2;COUNT=6;BYDAY=MO,WE"  # in the normal order
    assert stored in page  # the edit form shows the rule the series has


def test_the_api_creates_series_and_answers_rule_errors_with_the_field(manager, member):
    client = client_for(manager)
    body = {
        "title": "Staff AMA", "starts_at": "2031-03-11T18:30:00", "ends_at": "2031-03-11T19:30:00",
        "timezone": "Europe/Warsaw", "repeat": "custom", "rule": "FREQ=DAILY",
    }  # fmt: skip
    response = post_json(client, "/api/v1/events", body)
    assert response.status_code == 422
    assert response.json()["field"] == "rule" and "too often" in response.json()["detail"]
    response = post_json(client, "/api/v1/events", body | {"rule": "FREQ=MINUTELY"})
    assert response.status_code == 422 and response.json()["field"] == "rule"
    response = post_json(client, "/api/v1/events", body | {"repeat": "fortnightly"})
    assert response.status_code == 422 and response.json()["field"] == "repeat"
    # Who may not create events learns nothing about the rule.
    assert post_json(client_for(member), "/api/v1/events", body).status_code == 403
    assert not Event.objects.exists()
    response = post_json(client, "/api/v1/events", body | {"repeat": "monthly_weekday"})
    assert response.status_code == 201, response.json()
    assert response.json()["series"] == {
        "rule": "FREQ=MONTHLY;BYDAY=2TU",
        "description": "Every month on the second Tuesday at 18:30 (Europe/Warsaw)",
    }
    once = post_json(client, "/api/v1/events", body | {"repeat": "once"}).json()
    assert once["series"] is None
    assert Event.objects.filter(series__isnull=False).count() == 3  # March to May


def test_the_daily_job_extends_every_series_idempotently(manager):
    first = repeating(manager)
    series.publish_event(manager, first)
    yearly = repeating(manager, repeat="custom", rule="FREQ=YEARLY", title="Anniversary")
    assert len(occurrences_of(first)) == 13 and len(occurrences_of(yearly)) == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["extend-event-series"]
    assert schedule["task"] == tasks.extend_series.name and schedule["schedule"] == 86400.0
    tasks.extend_series.delay()  # today (2026) is before the first start: nothing to add
    assert Event.objects.count() == 14
    # A month after the start (horizon 7 July): five more Fridays, and next year's
    # anniversary, although that is beyond the horizon.
    later = utc(2031, 4, 8, 12)
    assert series.extend_all_series(later) == 6
    assert series.extend_all_series(later) == 0
    found = occurrences_of(first)
    assert len(found) == 18 and found[-1].starts_at == utc(2031, 7, 4, 14)
    assert {o.status for o in found} == {"published"} and all(o.topic_id for o in found)
    assert len({o.recurrence_id for o in found}) == 18
    assert occurrences_of(yearly)[-1].starts_at == utc(2032, 3, 7, 15)  # at least the next
    # A cancelled occurrence stays cancelled: the job never brings it back.
    actions.cancel_event(manager, found[-1])
    assert series.extend_all_series(later) == 0
    assert Event.objects.get(pk=found[-1].pk).status == "cancelled"


def test_editing_this_occurrence_only_marks_it_and_series_edits_skip_it(manager, guidelines):
    first = repeating(manager)
    series.publish_event(manager, first)
    found = occurrences_of(first)
    client = client_for(manager)
    form = FORM | {"title": "Special edition", "repeat": "weekly", "scope": "this"}
    form |= {"starts_at": "2031-03-21T18:00", "ends_at": "2031-03-21T19:30"}
    page = client.get(f"/events/{found[2].pk}/edit/").content.decode()
    assert "This and all following occurrences" in page
    assert client.post(f"/events/{found[2].pk}/edit/", form).status_code == 302
    special = Event.objects.get(pk=found[2].pk)
    assert special.series_changed and special.title == "Special edition"
    assert special.starts_at == utc(2031, 3, 21, 17)
    assert special.recurrence_id == utc(2031, 3, 21, 15)
    # The others are untouched.
    assert [o.title for o in occurrences_of(first)].count("Community session") == 12
    # Now all from the second on, one hour later and renamed: the special one stays.
    member = make_member("regular", guidelines)
    registrations.rsvp(member, found[4], "going")
    form |= {"title": "Evening session", "starts_at": "2031-03-14T17:00"}
    form |= {"ends_at": "2031-03-14T18:00", "scope": "following"}
    assert client.post(f"/events/{found[1].pk}/edit/", form).status_code == 302
    after = {o.pk: o for o in Event.objects.filter(pk__in=[o.pk for o in found])}
    assert after[found[0].pk].title == "Community session"
    assert after[found[0].pk].starts_at == utc(2031, 3, 7, 15)
    assert after[found[2].pk].title == "Special edition"
    assert after[found[2].pk].starts_at == utc(2031, 3, 21, 17)
    for occurrence in found[3:]:
        moved = after[occurrence.pk]
        assert moved.title == "Evening session" and moved.topic_id == occurrence.topic_id
        assert moved.starts_at == occurrence.starts_at + timedelta(hours=1)
        assert moved.recurrence_id == moved.starts_at and not moved.series_changed
    assert after[found[4].pk].registrations.get().member == member  # the answer stays
    # The series was split: the first keeps its series, continued by the new part.
    old, new = EventSeries.objects.get(pk=first.series_id), after[found[1].pk].series
    assert old.continued_by == new and old.rule == "FREQ=WEEKLY;BYDAY=FR"
    assert new.rule == "FREQ=WEEKLY;BYDAY=FR" and str(new.local_start) == "17:00:00"
    assert {after[o.pk].series_id for o in found[1:]} == {new.pk}
    assert series.extend_all_series(utc(2031, 3, 8)) == 0  # nothing twice
    # The edit filled the new part's horizon (to 6 June); the job goes on at 17:00.
    assert series.extend_all_series(utc(2031, 4, 8)) == 4
    assert Event.objects.filter(series=old).count() == 1
    assert Event.objects.order_by("-starts_at").first().starts_at == utc(2031, 7, 4, 15)
    # "All following" from the first reaches the part split off: one series again.
    series.update_event(manager, first, scope="following", title="Friday session")
    assert EventSeries.objects.get() == old and old.occurrences.count() == 18
    assert Event.objects.filter(title="Friday session").count() == 17  # not the special one
    assert Event.objects.get(pk=found[4].pk).starts_at == utc(2031, 4, 4, 14)  # 16:00 again
    assert Event.objects.get(pk=found[2].pk).starts_at == utc(2031, 3, 21, 17)


def test_a_new_rule_removes_or_cancels_occurrences_that_no_longer_fit(manager, guidelines):
    first = repeating(manager)
    series.publish_event(manager, first)
    found = occurrences_of(first)
    member = make_member("regular", guidelines)
    registrations.rsvp(member, found[1], "going")
    series.update_event(
        manager, first, scope="following", repeat="custom", rule="FREQ=WEEKLY;INTERVAL=2"
    )
    first.refresh_from_db()
    assert first.series.rule == "FREQ=WEEKLY;INTERVAL=2"  # the same series, from its start
    assert Event.objects.get(pk=found[1].pk).status == "cancelled"  # someone was going
    assert not Event.objects.filter(pk=found[3].pk).exists()  # nobody: removed
    assert Topic.objects.get(pk=found[3].topic_id).deleted_at is not None  # with its thread
    kept = occurrences_of(first)
    assert [o.pk for o in kept if o.status == "published"][:4] == [
        found[0].pk, found[2].pk, found[4].pk, found[6].pk,
    ]  # fmt: skip
    # Stopping the repeat from the fifth on leaves the first four.
    series.update_event(manager, found[4], scope="following", repeat="once")
    assert Event.objects.get(pk=found[4].pk).series_id is None
    assert not Event.objects.filter(pk=found[6].pk).exists()


def test_weekly_keeps_the_local_hour_across_daylight_saving_through_the_api(manager):
    client = client_for(manager)
    spring = {
        "title": "Friday session", "starts_at": "2031-03-21T16:00:00",
        "ends_at": "2031-03-21T17:00:00", "timezone": "Europe/Warsaw", "repeat": "weekly",
    }  # fmt: skip
    response = post_json(client, "/api/v1/events", spring)
    assert response.status_code == 201, response.json()
    assert response.json()["series"]["description"] == "Every Friday at 16:00 (Europe/Warsaw)"
    starts = [o.starts_at for o in occurrences_of(Event.objects.get(pk=response.json()["id"]))]
    # Clocks go forward on Sunday 30 March 2031: 15:00 UTC before, 14:00 UTC after.
    assert starts[:4] == [
        utc(2031, 3, 21, 15), utc(2031, 3, 28, 15), utc(2031, 4, 4, 14), utc(2031, 4, 11, 14),
    ]  # fmt: skip
    autumn = spring | {"starts_at": "2031-10-17T16:00:00", "ends_at": "2031-10-17T17:00:00"}
    event_id = post_json(client, "/api/v1/events", autumn).json()["id"]
    starts = [o.starts_at for o in occurrences_of(Event.objects.get(pk=event_id))]
    # Clocks go back on Sunday 26 October 2031: 14:00 UTC before, 15:00 UTC after.
    assert starts[:4] == [
        utc(2031, 10, 17, 14), utc(2031, 10, 24, 14), utc(2031, 10, 31, 15), utc(2031, 11, 7, 15),
    ]  # fmt: skip
    for pk in (occurrence.pk for occurrence in occurrences_of(Event.objects.get(pk=event_id))):
        assert client.get(f"/api/v1/events/{pk}").json()["local_starts_at"].endswith("T16:00:00")


def test_occurrences_are_seen_by_those_who_see_the_first(
    manager, guidelines, secret_group, board_member
):
    first = repeating(manager, group=secret_group, visibility="group", title="Board session")
    series.publish_event(manager, first)
    found = occurrences_of(first)
    assert {(o.group_id, o.visibility) for o in found} == {(secret_group.pk, "group")}
    outsider = make_member("outsider", guidelines)
    for client in (client_for(outsider), Client()):
        assert "Board session" not in client.get("/events/").content.decode()
        assert client.get("/api/v1/events").json()["results"] == []
        for occurrence in found[:3]:
            assert client.get(occurrence.get_absolute_url()).status_code == 404
            assert client.get(f"/api/v1/events/{occurrence.pk}").status_code == 404
    insider = client_for(board_member)
    page = insider.get(first.get_absolute_url()).content.decode()
    assert "Every Friday at 16:00 (Europe/Warsaw)" in page
    for occurrence in found[1:6]:
        assert occurrence.get_absolute_url() in page  # the next occurrences are linked
    listed = insider.get("/events/").content.decode()
    assert listed.count("Every Friday at 16:00 (Europe/Warsaw)") == 13


def test_the_list_with_series_costs_a_fixed_number_of_queries(
    manager, django_assert_max_num_queries
):
    client = client_for(manager)
    one = repeating(manager, repeat="monthly_day", title="Monthly")
    series.publish_event(manager, one)
    with django_assert_max_num_queries(25) as few:
        client.get("/events/")
    series.publish_event(manager, repeating(manager, title="Weekly"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/events/").content.decode()
    assert page.count('class="card event"') == 16
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/events").json()["results"]) == 16


def test_a_series_with_a_count_keeps_its_number_of_occurrences_when_split(manager):
    first = repeating(manager, repeat="custom", rule="FREQ=WEEKLY;COUNT=6")
    found = occurrences_of(first)
    assert len(found) == 6
    third = found[2]
    series.update_event(
        manager,
        third,
        scope="following",
        repeat="custom",
        rule="FREQ=WEEKLY;COUNT=6",  # the form shows the rule unchanged
        title="Later session",
        starts_at=third.starts_at + timedelta(hours=2),
        ends_at=third.ends_at + timedelta(hours=2),
    )
    assert Event.objects.get(pk=third.pk).series.rule == "FREQ=WEEKLY;COUNT=4"
    assert Event.objects.filter(title="Later session").count() == 4
    assert Event.objects.filter(series__isnull=False).count() == 6
    assert set(Event.objects.values_list("pk", flat=True)) == {o.pk for o in found}  # moved
    # Publishing the first publishes the part split off too.
    series.publish_event(manager, first)
    assert set(Event.objects.values_list("status", flat=True)) == {"published"}


def test_a_one_off_event_edited_to_repeat_becomes_the_first_of_a_series(manager):
    start = actions.local_to_utc(FIRST_FRIDAY, "Europe/Warsaw")
    one_off = actions.publish_event(
        None,
        series.create_event(
            manager, title="Open office hour", starts_at=start,
            ends_at=start + timedelta(hours=1), timezone="Europe/Warsaw",
        ),
    )  # fmt: skip
    assert one_off.series_id is None
    form = FORM | {"title": "Open office hour", "repeat": "monthly_weekday"}
    response = client_for(manager).post(f"/events/{one_off.pk}/edit/", form)
    assert response.status_code == 302
    found = occurrences_of(Event.objects.get(pk=one_off.pk))
    assert found[0].pk == one_off.pk and found[0].series.rule == "FREQ=MONTHLY;BYDAY=1FR"
    assert [o.starts_at for o in found[1:]] == [utc(2031, 4, 4, 14), utc(2031, 5, 2, 14)]
    assert {o.status for o in found} == {"published"}


def png(colour: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


def test_each_occurrence_owns_its_cover_image(manager):
    first = repeating(manager, repeat="custom", rule="FREQ=WEEKLY;COUNT=4", cover=png("red"))
    found = occurrences_of(first)
    names = {o.cover.name for o in found}
    assert len(names) == 4 and all(o.cover.storage.exists(o.cover.name) for o in found)
    # A new cover from the third on: the same upload, one file each.
    series.update_event(manager, found[2], scope="following", cover=png("blue"))
    after = occurrences_of(first) + occurrences_of(Event.objects.get(pk=found[2].pk))
    covers = {o.pk: o.cover.name for o in after}
    assert covers[found[0].pk] == found[0].cover.name  # earlier ones untouched
    assert len({covers[found[2].pk], covers[found[3].pk]} - names) == 2
    assert all(o.cover.storage.exists(o.cover.name) for o in after)
    # Removing it from the second on leaves the first's file in place.
    series.update_event(manager, found[1], scope="following", cover=False)
    assert not Event.objects.get(pk=found[3].pk).cover
    assert found[0].cover.storage.exists(found[0].cover.name)
