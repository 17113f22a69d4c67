"""``POST /api/v1/surveys/answers``: a member answers the NPS question, or rates the answer
to their solved question (docs/api.md, "Surveys"). The same rules as the pages: the NPS
question once every 90 days to members of two weeks or more, a topic's rating once."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from townsquare.api.auth import member_auth
from townsquare.surveys import actions
from townsquare.surveys.models import Kind

router = Router(tags=["surveys"])


class AnswerIn(Schema):
    kind: str = Field(..., max_length=8, description="nps (0–10) or csat (1–5)")
    score: int = Field(..., description="nps: 0–10; csat: 1–5")
    comment: str = Field("", max_length=actions.COMMENT_MAX)
    topic: int | None = Field(None, description="csat: the solved question's topic id")


class AnswerOut(Schema):
    id: int
    kind: str
    score: int
    comment: str
    context: str
    created_at: datetime


@router.post("/surveys/answers", response={201: AnswerOut}, auth=member_auth)
def answer(request: HttpRequest, payload: AnswerIn) -> Status:
    """Record the signed-in member's answer. 422 for a score off the scale or a topic
    missing for csat; 403 when the member is not asked this question; 429 when too many."""
    context = "api"
    if payload.kind == Kind.CSAT:
        if payload.topic is None or payload.topic <= 0:
            raise ValidationError({"topic": _("Give the id of the solved question's topic.")})
        # A topic the member may not rate answers like one that does not exist (403).
        context = f"topic:{payload.topic}"
    elif payload.kind == Kind.NPS and payload.topic is not None:
        raise ValidationError({"topic": _("The NPS question is about the community, not a topic.")})
    found = actions.answer(
        request.user, payload.kind, payload.score, payload.comment, context=context
    )
    return Status(201, found)
