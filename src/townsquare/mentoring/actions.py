"""Every change to mentoring: opting in, asking a mentor, answering."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.actions import expertise_tags
from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.models import Community
from townsquare.mentoring.models import MentoringProfile, MentorRequest, RequestStatus
from townsquare.messaging import actions as messaging

MAX_PENDING_REQUESTS = 5  # a mentee's requests waiting at once: ask a few, not everyone
MAX_CAPACITY = 10


@transaction.atomic
def save_mentoring_profile(
    member: User,
    *,
    is_mentor: bool,
    is_mentee: bool,
    areas: Iterable[str],
    about: str = "",
    capacity: int = 2,
) -> MentoringProfile:
    """Opt in (or out) as mentor and/or mentee, with the areas offered or sought."""
    if not permissions.may_join_mentoring(member):
        raise PermissionDenied
    if not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError(
            {"capacity": _("Between 1 and %(n)d mentees at a time.") % {"n": MAX_CAPACITY}}
        )
    try:
        tags = expertise_tags(areas)
    except ValidationError as error:
        raise ValidationError({"areas": error.message_dict["expertise"]}) from None
    if (is_mentor or is_mentee) and not tags:
        raise ValidationError(
            {"areas": _("Name at least one area, so that mentors and mentees can be matched.")}
        )
    profile, _created = MentoringProfile.objects.get_or_create(user=member)
    profile.is_mentor, profile.is_mentee = is_mentor, is_mentee
    profile.about, profile.capacity = about.strip(), capacity
    profile.full_clean(exclude=["user"])
    profile.save()
    profile.areas.set(tags)
    activity.record(member, "mentoring.profile_saved", member, mentor=is_mentor, mentee=is_mentee)
    return profile


@transaction.atomic
def request_mentor(mentee: User, mentor: User, note: str) -> MentorRequest:
    """A mentee asks a mentor, with a note saying what they hope for."""
    mentee_profile = MentoringProfile.objects.filter(user=mentee, is_mentee=True).first()
    if mentee_profile is None:
        raise ValidationError(_("Say first that you are looking for a mentor, and in what."))
    mentor_profile = (
        MentoringProfile.objects.select_for_update().filter(user=mentor, is_mentor=True).first()
    )
    # A block either way answers like a member who offers no mentoring: nothing revealed.
    if (
        mentor_profile is None
        or not permissions.may_be_asked_for_mentoring(mentee, mentor)
        or permissions.blocked_either_way(mentee, [mentor])
    ):
        raise ValidationError(_("This member does not offer mentoring."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Tell the mentor in a few words what you hope for.")})
    open_statuses = [RequestStatus.PENDING, RequestStatus.ACCEPTED]
    if MentorRequest.objects.filter(
        mentee=mentee, mentor=mentor, status__in=open_statuses
    ).exists():
        raise ValidationError(_("You have already asked this mentor."))
    pending = MentorRequest.objects.filter(mentee=mentee, status=RequestStatus.PENDING)
    if pending.count() >= MAX_PENDING_REQUESTS:
        raise ValidationError(
            _("You have %(n)d requests waiting; withdraw one or wait for an answer.")
            % {"n": MAX_PENDING_REQUESTS}
        )
    accepted = MentorRequest.objects.filter(mentor=mentor, status=RequestStatus.ACCEPTED)
    if accepted.count() >= mentor_profile.capacity:
        raise ValidationError(_("This mentor has no room for another mentee right now."))
    request = MentorRequest(mentee=mentee, mentor=mentor, note=note)
    request.full_clean()
    request.save()
    activity.record(mentee, "mentoring.requested", request, mentor=mentor.pk)
    return request


def quote(text: str) -> str:
    """Text as a markdown quote, line by line."""
    return "\n".join(f"> {line}" for line in text.splitlines())


def _decide(actor: User, request: MentorRequest, status: str, allowed: bool) -> MentorRequest:
    if not allowed:
        raise PermissionDenied
    request.status, request.decided_at = status, timezone.now()
    request.save(update_fields=["status", "decided_at"])
    activity.record(actor, f"mentoring.{status}", request, mentee=request.mentee_id)
    return request


@transaction.atomic
def accept_request(mentor: User, request: MentorRequest, community: Community) -> MentorRequest:
    """The mentor says yes: the pair is made and a conversation opens between them, its
    first message the mentor's welcome with the mentee's note quoted."""
    _decide(
        mentor,
        request,
        RequestStatus.ACCEPTED,
        permissions.may_answer_mentor_request(mentor, request),
    )
    welcome = _("I am glad to be your mentor. You wrote:") + "\n\n" + quote(request.note)
    request.conversation = messaging.start_conversation(
        mentor, community, [request.mentee.handle], welcome
    )
    request.save(update_fields=["conversation"])
    return request


@transaction.atomic
def decline_request(mentor: User, request: MentorRequest) -> MentorRequest:
    return _decide(
        mentor,
        request,
        RequestStatus.DECLINED,
        permissions.may_answer_mentor_request(mentor, request),
    )


@transaction.atomic
def withdraw_request(mentee: User, request: MentorRequest) -> MentorRequest:
    return _decide(
        mentee,
        request,
        RequestStatus.WITHDRAWN,
        permissions.may_withdraw_mentor_request(mentee, request),
    )
