"""Every write of survey answers: the NPS panel, the CSAT question after a solved Q&A
topic, the "How was it?" question after an event (context ``event:<id>``, asked on the
event's page and the events API), the API, and the demo. Each answer (or "not now") is
one row and one activity event (``survey.answered`` / ``survey.dismissed``), and gives
its month a new stamp (``AnswerMonth``: the satisfaction trend's cache key)."""

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import activity, permissions
from townsquare.core.queries import get_community
from townsquare.events.models import Registration
from townsquare.forum.models import Topic
from townsquare.moderation import limits
from townsquare.surveys import queries
from townsquare.surveys.models import CONTEXT_PATTERN, SCALES, AnswerMonth, Kind, SurveyAnswer

COMMENT_MAX = 2000
# Control characters other than tab and newlines are never meant in a comment.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_score(kind: str, score: object) -> int:
    """The score as a whole number on the question's scale, or a clear error."""
    low, high = SCALES[kind]
    message = _("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high}
    if isinstance(score, bool):
        raise ValidationError({"score": message})
    text = str(score).strip()
    try:
        if len(text) > 4:  # no score is longer; do not parse a megabyte of digits
            raise ValueError
        number = int(text)
    except (TypeError, ValueError):
        raise ValidationError({"score": message}) from None
    if not low <= number <= high:
        raise ValidationError({"score": message})
    return number


def clean_comment(comment: str) -> str:
    comment = _CONTROL.sub("", comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {
                "comment": _("Keep the comment under %(max)d characters (it has %(n)d).")
                % {"max": COMMENT_MAX, "n": len(comment)}
            }
        )
    return comment


def _check(actor: User, kind: str, context: str, *, answering: bool) -> None:
    """May ``actor`` answer (or dismiss) ``kind`` in ``context`` now? Raises if not."""
    if kind == Kind.NPS:
        if context not in ("prompt", "api") or not permissions.may_answer_nps(actor):
            raise PermissionDenied
        # A "not now" still lets a member answer later from another tab or the API; an
        # answer waits for the next quarter.
        recently = queries.answered_nps_recently if answering else queries.asked_nps_recently
        if recently(actor):
            raise ValidationError(
                _("You have told us this in the last 90 days; thank you, we will ask again later.")
            )
        return
    kind_of, _sep, pk = context.partition(":")
    if kind_of == "event":
        _check_event_feedback(actor, kind, int(pk))
        return
    if kind_of != "topic":
        raise PermissionDenied
    topic = Topic.objects.select_related("category").filter(pk=int(pk)).first()
    if topic is None or not permissions.may_rate_answer(actor, get_community(), topic):
        raise PermissionDenied
    if queries.rated_topic(actor, topic):
        raise ValidationError(_("You have already rated the answer to this question."))


def _check_event_feedback(actor: User, kind: str, event_id: int) -> None:
    """Event feedback ("How was it?", 1–5): an attendee of an event that is over, once.
    An event the member may not see answers like one that does not exist."""
    event = permissions.visible_events(actor, get_community()).filter(pk=event_id).first()
    if event is None or kind != Kind.CSAT:
        raise PermissionDenied
    registration = Registration.objects.filter(event=event, member=actor).first()
    if not permissions.may_give_event_feedback(actor, event, registration):
        raise PermissionDenied
    if queries.gave_event_feedback(actor, event):
        raise ValidationError(_("You have already told us how this event was."))


def _write(
    actor: User | None,
    kind: str,
    score: object,
    comment: str,
    context: str,
    member: User | None,
    at: datetime | None,
) -> SurveyAnswer:
    if kind not in SCALES:
        raise ValidationError({"kind": _("Unknown question: use nps or csat.")})
    if not re.fullmatch(CONTEXT_PATTERN, context or ""):
        raise ValidationError({"context": _("Unknown context.")})
    number = None if score is None else clean_score(kind, score)
    comment = clean_comment(comment) if number is not None else ""
    if actor is None:  # the system: the demo or an importer, on a member's behalf
        if member is None:
            raise ValidationError(_("An answer belongs to a member."))
    else:
        if member not in (None, actor) or at is not None:
            raise PermissionDenied
        member = actor
        # Every attempt counts, refused ones too: the limit is for scripts that keep trying.
        limits.check_rate(actor, "survey")
        _check(actor, kind, context, answering=number is not None)
    fields = {"member": member, "kind": kind, "score": number, "comment": comment}
    if at is not None:
        fields["created_at"] = at
    try:
        with transaction.atomic():
            answer = SurveyAnswer.objects.create(context=context, **fields)
            # Every answer, backdated or not: the trend caches the current month too, and
            # one written at 23:59 may commit after midnight, in a finished month.
            stamp_months([_month(answer.created_at)])
            activity.record(
                member,
                "survey.answered" if number is not None else "survey.dismissed",
                answer,
                at=at,
                kind=kind,
                score=number,
                context=context,
            )
    except IntegrityError:  # the same object rated twice at once: the first one stands
        if context.startswith("event:"):
            raise ValidationError(_("You have already told us how this event was.")) from None
        raise ValidationError(_("You have already rated the answer to this question.")) from None
    return answer


def answer(
    actor: User | None,
    kind: str,
    score: object,
    comment: str = "",
    *,
    context: str = "prompt",
    member: User | None = None,
    at: datetime | None = None,
) -> SurveyAnswer:
    """Record a member's score (and optional comment). ``actor=None`` is the system (the
    demo, importers), which names the ``member`` and may give the original time ``at``."""
    if score is None:
        raise ValidationError({"score": _("Choose a score.")})
    return _write(actor, kind, score, comment, context, member, at)


def dismiss(
    actor: User | None,
    kind: str,
    *,
    context: str = "prompt",
    member: User | None = None,
    at: datetime | None = None,
) -> SurveyAnswer:
    """The member said "not now": they are not asked again for a while (NPS) or about
    this object (CSAT)."""
    return _write(actor, kind, None, "", context, member, at)


def forget_comments(member: User) -> int:
    """Account deletion: the member's comments go (what they wrote is personal); their
    scores stay, without the member, so the community's history does not change."""
    return SurveyAnswer.objects.filter(member=member).exclude(comment="").update(comment="")


def _month(moment: datetime) -> date:
    return moment.astimezone(UTC).date().replace(day=1)


def stamp_months(months: Iterable[date]) -> None:
    """New stamps for ``months`` (first days), in the caller's transaction, so the trend
    figures cached under the old ones are not read again (analytics.satisfaction). In
    order, so that two writers lock the rows in the same order."""
    for month in sorted(set(months)):
        AnswerMonth.objects.update_or_create(month=month, defaults={"stamp": secrets.randbits(63)})


def stamp_member_months(member: User) -> None:
    """A member is being deleted: their NPS answers are about to lose their member, so
    each then counts alone instead of only their latest of a month (``surveys.signals``)."""
    answered = SurveyAnswer.objects.filter(member=member, kind=Kind.NPS, score__isnull=False)
    stamp_months(moment.date() for moment in answered.datetimes("created_at", "month", tzinfo=UTC))


@transaction.atomic
def restamp_months() -> int:
    """``townsquare rollup --rebuild``: every month from the first answer's to the last's
    gets a new stamp, whatever wrote its answers (an import, a bulk load); other stamps
    go. Returns the number of months."""
    bounds = SurveyAnswer.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    AnswerMonth.objects.all().delete()
    if bounds["first"] is None:
        return 0
    months = [_month(bounds["first"])]
    while months[-1] < _month(bounds["last"]):
        months.append((months[-1] + timedelta(days=31)).replace(day=1))
    AnswerMonth.objects.bulk_create(
        AnswerMonth(month=month, stamp=secrets.randbits(63)) for month in months
    )
    return len(months)
