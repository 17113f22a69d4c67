"""The demo's survey answers: a year of NPS answers from the demo members (each asked about
once a quarter, answering about half the time) and CSAT ratings of solved questions, all
written through surveys.actions with their original times. NPS drifts up over the year
so the trend shows something; comments come in English, Chinese and Polish."""

import random
from datetime import timedelta

from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.forum.models import Topic
from townsquare.surveys import actions
from townsquare.surveys.models import SurveyAnswer

DAYS = 365
#: The demo's own member@ account is left out, so whoever tries the demo is asked.
KEEP_UNASKED = {"member"}
COMMENTS = {
    "promoter": [
        "People answer fast and kindly.",
        "大家都很乐于助人，问题很快就有人回答。",
        "Świetna społeczność, zawsze ktoś pomoże.",
        "I learnt more here than from the manual.",
    ],
    "passive": [
        "Good, but search could find old answers better.",
        "内容不错，但有时候要等很久才有回复。",
        "Dobrze, ale chciałbym więcej wydarzeń.",
    ],
    "detractor": [
        "My question waited a week for a reply.",
        "很难找到以前的讨论。",
        "Za dużo ogłoszeń, za mało rozmów.",
    ],
}


def _nps_score(chooser: random.Random, progress: float) -> int:
    """A score whose mix improves over the year (progress 0 → 1): promoters from about
    35 to 50 per cent, detractors from about 25 to 15."""
    roll = chooser.random()
    promoters, detractors = 0.35 + 0.15 * progress, 0.25 - 0.10 * progress
    if roll < promoters:
        return chooser.choice((9, 10))
    if roll < promoters + detractors:
        return chooser.choice((2, 4, 5, 6, 6))
    return chooser.choice((7, 8))


def _group(score: int) -> str:
    return "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"


def load() -> dict[str, int]:
    """Load the answers once; a community that has answers is left as it is."""
    if SurveyAnswer.objects.exists():
        return {}
    chooser = random.Random(7)  # the same demo every time
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    counts = {"nps": 0, "dismissed": 0, "csat": 0}
    members = User.objects.filter(role=Role.MEMBER, is_active=True).exclude(handle__in=KEEP_UNASKED)
    for member in members.order_by("pk"):
        asked = max(start, member.date_joined + timedelta(days=14))
        asked += timedelta(days=chooser.randint(0, 60), hours=chooser.randint(8, 20))
        while asked < now:
            if chooser.random() < 0.55:
                score = _nps_score(chooser, (asked - start) / (now - start))
                comment = ""
                if chooser.random() < 0.35:
                    comment = chooser.choice(COMMENTS[_group(score)])
                actions.answer(None, "nps", score, comment, member=member, at=asked)
                counts["nps"] += 1
            else:
                actions.dismiss(None, "nps", member=member, at=asked)
                counts["dismissed"] += 1
            asked += timedelta(days=90 + chooser.randint(0, 45))
    solved = Topic.objects.filter(
        solved_at__gte=start, author__isnull=False, author__role=Role.MEMBER
    ).exclude(author__handle__in=KEEP_UNASKED)
    for topic in solved.select_related("author").order_by("pk"):
        if chooser.random() < 0.6:
            score = chooser.choices((5, 4, 3, 2, 1), weights=(45, 30, 12, 8, 5))[0]
            comment = chooser.choice(("", "", "Thank you!", "谢谢！", "Dzięki, działa."))
            at = min(topic.solved_at + timedelta(hours=chooser.randint(1, 48)), now)
            actions.answer(
                None, "csat", score, comment, context=f"topic:{topic.pk}", member=topic.author,
                at=at,
            )  # fmt: skip
            counts["csat"] += 1
    return counts
