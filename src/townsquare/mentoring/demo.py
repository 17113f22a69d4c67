"""Demo mentoring: some demo members mentor, some look for a mentor; a few pairs and a
few requests waiting. Runs once (skipped when anyone has a mentoring profile)."""

from townsquare.accounts.models import User
from townsquare.core.queries import get_community
from townsquare.mentoring import actions, queries
from townsquare.mentoring.models import MentoringProfile, MentorRequest, RequestStatus

MENTORS, MENTEES, PAIRS, WAITING = 8, 6, 3, 2
NOTES = [
    "I run our first user group next month and would love advice on the agenda.",
    "我想学习如何为社区设计数据看板，希望每两周交流一次。",
    "Chcę lepiej moderować dyskusje — czy możemy porozmawiać raz w miesiącu?",
    "Looking for help with our API integration and code reviews.",
    "I would like to grow as a speaker at our meetups.",
]


def load() -> dict[str, int] | None:
    if MentoringProfile.objects.exists():
        return None
    people = list(
        User.objects.filter(email__endswith="@members.example.com")
        .prefetch_related("profile__expertise")
        .order_by("pk")[: MENTORS + MENTEES]
    )
    if len(people) < MENTORS + MENTEES:
        return None
    mentors, mentees = people[:MENTORS], people[MENTORS:]
    for mentor in mentors:
        areas = [tag.name for tag in mentor.profile.expertise.all()][:5] or ["community"]
        actions.save_mentoring_profile(
            mentor, is_mentor=True, is_mentee=False, areas=areas, capacity=2,
            about=mentor.profile.job_title,
        )  # fmt: skip
    for number, mentee in enumerate(mentees):
        # Wants to learn what one mentor knows, plus one thing of their own.
        teacher = mentors[number % MENTORS]
        wanted = [tag.name for tag in teacher.profile.expertise.all()][:2]
        wanted += [tag.name for tag in mentee.profile.expertise.all()][:1]
        actions.save_mentoring_profile(
            mentee, is_mentor=False, is_mentee=True, areas=wanted or ["community"]
        )
    community = get_community()
    for number, mentee in enumerate(mentees[: PAIRS + WAITING]):
        best = queries.suggested_mentors(mentee, community, limit=1)
        if not best:
            continue
        mentor = best[0].profile.user
        request = actions.request_mentor(mentee, mentor, NOTES[number % len(NOTES)])
        if number < PAIRS:
            actions.accept_request(mentor, request, community)
    statuses = MentorRequest.objects.values_list("status", flat=True)
    return {
        "mentors": MENTORS,
        "mentees": MENTEES,
        "pairs": sum(status == RequestStatus.ACCEPTED for status in statuses),
        "waiting": sum(status == RequestStatus.PENDING for status in statuses),
    }
