"""Mentor matching: who may ask whom, who answers, who oversees."""

from townsquare.accounts.models import User
from townsquare.core.permissions.community import AnyUser, is_manager, is_member
from townsquare.mentoring.models import MentorRequest, RequestStatus


def may_join_mentoring(user: AnyUser) -> bool:
    return is_member(user)


def may_answer_mentor_request(user: AnyUser, request: MentorRequest) -> bool:
    """Only the mentor asked answers, and only while the request waits."""
    return (
        is_member(user) and user.pk == request.mentor_id and request.status == RequestStatus.PENDING
    )


def may_withdraw_mentor_request(user: AnyUser, request: MentorRequest) -> bool:
    return (
        is_member(user) and user.pk == request.mentee_id and request.status == RequestStatus.PENDING
    )


def may_oversee_mentoring(user: AnyUser) -> bool:
    """Community managers see every pair and every waiting request."""
    return is_manager(user)


def may_be_asked_for_mentoring(mentee: User, mentor: User) -> bool:
    return mentee.pk != mentor.pk and mentor.is_active
