"""Creating, publishing, answering (capacity and the waiting list), check-in, resources."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import make_member
from tests.events.conftest import make_event
from townsquare.core.models import ActivityEvent
from townsquare.events import actions, registrations
from townsquare.events.models import EventHost, EventStatus, Registration
from townsquare.forum.models import Audience

pytestmark = pytest.mark.django_db


def verbs(event) -> list[str]:
    return list(
        ActivityEvent.objects.filter(target_id=str(event.pk), verb__startswith="event.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_an_event_is_created_as_a_draft_hosted_by_its_creator_with_safe_html(manager):
    event = make_event(
        manager, publish=False, description="Hi <script>alert(1)</script> **there**",
        guests=[("Anna Nowak", "Head of Product")],
    )  # fmt: skip
    assert event.status == EventStatus.DRAFT and event.topic is None
    assert (
        "<script>" not in event.description_html
        and "<strong>there</strong>" in event.description_html
    )
    hosts = list(EventHost.objects.filter(event=event))
    assert [h.user for h in hosts] == [manager, None]
    assert (hosts[1].name, hosts[1].title) == ("Anna Nowak", "Head of Product")
    assert verbs(event) == ["event.created"]


def test_members_without_a_group_to_run_may_not_create_events(member):
    start = datetime(2031, 1, 1, 12, tzinfo=datetime.now().astimezone().tzinfo)
    with pytest.raises(PermissionDenied):
        actions.create_event(
            member, title="My meetup", starts_at=start, ends_at=start + timedelta(hours=1)
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at_offset": 0}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"format": "in_person"}, "venue"),
        ({"capacity": 0}, "capacity"),
        ({"visibility": "group"}, "group"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
    ],
)
def test_bad_events_are_refused_naming_the_field(manager, fields, field):
    start = datetime(2031, 1, 1, 12).astimezone()
    end = start + timedelta(hours=fields.pop("ends_at_offset", 1))
    with pytest.raises(ValidationError) as raised:
        actions.create_event(manager, title="Session", starts_at=start, ends_at=end, **fields)
    assert field in raised.value.error_dict


def test_publishing_opens_the_thread_in_the_events_category_for_the_events_audience(manager):
    public = make_event(manager, title="Open session")
    members_only = make_event(manager, title="Members' session", visibility="members")
    assert public.topic.category.slug == "events"
    assert public.topic.category.read_access == Audience.EVERYONE
    assert members_only.topic.category.read_access == Audience.MEMBERS
    assert public.published_at is not None and verbs(public) == ["event.created", "event.published"]
    assert public.get_absolute_url() in public.topic.posts.get(number=1).body


def test_a_group_events_thread_goes_to_the_groups_category(manager, secret_group):
    event = make_event(manager, group=secret_group, visibility="group")
    assert event.topic.category_id == secret_group.category_id


def test_who_sees_a_published_event_cannot_change(manager):
    event = make_event(manager)
    with pytest.raises(ValidationError) as raised:
        actions.update_event(manager, event, visibility="members")
    assert "visibility" in raised.value.error_dict


def test_capacity_fills_then_the_waiting_list_is_promoted_in_order(manager, guidelines):
    event = make_event(manager, capacity=2)
    a, b, c, d = (make_member(name, guidelines) for name in ("ann", "bob", "cyd", "dan"))
    assert registrations.rsvp(a, event, "going") == "going"
    assert registrations.rsvp(b, event, "going") == "going"
    assert registrations.rsvp(c, event, "going") == "waitlisted"
    assert registrations.rsvp(d, event, "going") == "waitlisted"
    assert registrations.rsvp(c, event, "going") == "waitlisted"  # asking again keeps the place
    assert registrations.rsvp(a, event, "not_going") == "not_going"
    statuses = dict(
        Registration.objects.filter(event=event).values_list("member__handle", "status")
    )
    assert statuses == {"ann": "not_going", "bob": "going", "cyd": "going", "dan": "waitlisted"}
    assert registrations.rsvp(b, event, "maybe") == "maybe"
    assert Registration.objects.get(event=event, member=d).status == "going"
    assert ActivityEvent.objects.filter(verb="event.promoted").count() == 2


def test_growing_the_capacity_promotes_the_waiting_list(manager, guidelines):
    event = make_event(manager, capacity=1)
    first, second = make_member("ann", guidelines), make_member("bob", guidelines)
    registrations.rsvp(first, event, "going")
    assert registrations.rsvp(second, event, "going") == "waitlisted"
    actions.update_event(manager, event, capacity=2)
    assert Registration.objects.get(event=event, member=second).status == "going"


def test_required_questions_must_be_answered_to_go(manager, member):
    event = make_event(manager, questions=[("Your company?", True), ("Dietary needs?", False)])
    company, _diet = event.questions.all()
    with pytest.raises(ValidationError) as raised:
        registrations.rsvp(member, event, "going", answers={})
    assert f"question_{company.pk}" in raised.value.error_dict
    assert (
        registrations.rsvp(member, event, "going", answers={str(company.pk): " Acme  Ltd "})
        == "going"
    )
    registration = Registration.objects.get(event=event, member=member)
    assert registration.answers == {str(company.pk): "Acme Ltd"}
    assert registrations.rsvp(member, event, "not_going") == "not_going"  # no answers needed


def test_drafts_cancelled_and_past_events_take_no_answers(manager, member):
    draft = make_event(manager, publish=False)
    with pytest.raises(PermissionDenied):
        registrations.rsvp(member, draft, "going")
    cancelled = actions.cancel_event(manager, make_event(manager))
    with pytest.raises(PermissionDenied):
        registrations.rsvp(member, cancelled, "going")
    with pytest.raises(ValidationError):
        registrations.rsvp(member, make_event(manager), "waitlisted")


def test_tickets_have_distinct_readable_codes_and_check_in_by_code_records_attendance(
    manager, guidelines
):
    event = make_event(manager)
    members = [make_member(f"member{i}", guidelines) for i in range(5)]
    for person in members:
        registrations.rsvp(person, event, "going")
    codes = set(Registration.objects.filter(event=event).values_list("ticket_code", flat=True))
    assert len(codes) == 5 and all(len(code) == 8 and code.isalnum() for code in codes)
    code = Registration.objects.get(event=event, member=members[0]).ticket_code
    spoken = f" {code[:4].lower()}-{code[4:].lower()} "
    checked = registrations.check_in(manager, event, code=spoken)
    assert checked.member == members[0] and checked.checked_in_by == manager
    registrations.check_in(manager, event, code=code)  # twice: nothing more
    registrations.check_in(manager, event, member=members[1])
    attended = ActivityEvent.objects.filter(verb="event.attended", target_id=str(event.pk))
    assert sorted(attended.values_list("actor__handle", flat=True)) == ["member0", "member1"]
    with pytest.raises(ValidationError):
        registrations.check_in(manager, event, code="AAAAAAAA")
    with pytest.raises(PermissionDenied):
        registrations.check_in(members[2], event, code=code)


def test_hosts_attach_resources_after_the_event(manager, member):
    event = make_event(manager)
    resource = actions.add_resource(
        manager, event, kind="recording", title="Recording", url="https://video.example/1"
    )
    assert list(event.resources.all()) == [resource]
    with pytest.raises(ValidationError):
        actions.add_resource(manager, event, kind="link", title="Bad", url="javascript:x")
    with pytest.raises(PermissionDenied):
        actions.add_resource(member, event, kind="link", title="Mine", url="https://x.example")


def test_cancelling_records_it(manager):
    event = actions.cancel_event(manager, make_event(manager))
    assert event.status == EventStatus.CANCELLED and event.cancelled_at is not None
    assert verbs(event)[-1] == "event.cancelled"


def test_local_times_the_clocks_skip_or_repeat_are_refused():
    assert actions.local_to_utc(datetime(2031, 3, 7, 16, 0), "Europe/Warsaw").hour == 15
    with pytest.raises(ValidationError, match="does not exist"):
        actions.local_to_utc(datetime(2031, 3, 30, 2, 30), "Europe/Warsaw")
    with pytest.raises(ValidationError, match="twice"):
        actions.local_to_utc(datetime(2031, 10, 26, 2, 30), "Europe/Warsaw")


def test_no_thread_is_opened_where_more_people_would_read_it_than_see_the_event(manager):
    from townsquare.groups import actions as group_actions

    makers = group_actions.create_group(None, name="Makers")
    group_actions.set_category_audience(None, makers, Audience.EVERYONE)
    makers.refresh_from_db()
    assert make_event(manager, group=makers, visibility="group").topic is None
    assert make_event(manager, group=makers).topic.category_id == makers.category_id


def test_the_cover_image_is_checked_and_re_encoded(manager):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buffer, format="PNG")
    cover = SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")
    event = make_event(manager, publish=False, cover=cover)
    assert event.cover.name.endswith(".webp")
    with pytest.raises(ValidationError):
        make_event(manager, publish=False, cover=SimpleUploadedFile("x.png", b"not an image"))
    event = actions.update_event(manager, event, cover=False)
    assert not event.cover
