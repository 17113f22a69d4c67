"""Members' answers to short surveys: the NPS prompt, CSAT after a solved question, and
(issue 8) feedback after an event. The satisfaction dashboard reads this table directly:
it is small (one row per member per prompt) and one grouped query answers a period; its
monthly trend is cached under each month's stamp (``AnswerMonth``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NPS = "nps", _("Recommendation (0–10)")
    CSAT = "csat", _("Satisfaction (1–5)")


#: The scores each kind accepts, both ends included.
SCALES: dict[str, tuple[int, int]] = {Kind.NPS: (0, 10), Kind.CSAT: (1, 5)}

#: Where an answer was given (checked by surveys.actions): the NPS panel, the API without
#: an object, or about one object ("topic:<id>": a solved question, "event:<id>": an
#: event's feedback).
CONTEXT_PATTERN = r"^(prompt|api|(topic|event):[1-9][0-9]{0,17})$"
#: Contexts answered at most once per member (an object's feedback, not the NPS panel).
_REPEATABLE = ("prompt", "api")


class SurveyAnswer(models.Model):
    """One member's answer, or their "not now" (``score`` empty: dismissed), so asking
    again can wait and the response rate can be measured."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A deleted member's score still counts in the community's history, anonymously.
        on_delete=models.SET_NULL,
        related_name="survey_answers",
    )
    kind = models.CharField(_("question"), max_length=8, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    context = models.CharField(_("context"), max_length=40, default="prompt")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(kind=Kind.NPS, score__gte=0, score__lte=10)
                | Q(kind=Kind.CSAT, score__gte=1, score__lte=5),
                name="survey_score_in_scale",
            ),
            # Feedback on one topic or event is asked once; concurrent posts cannot both win.
            models.UniqueConstraint(
                fields=["member", "kind", "context"],
                condition=~Q(context__in=_REPEATABLE),
                name="survey_once_per_object",
            ),
        ]
        indexes = [
            # A period's answers of one kind, with the columns the satisfaction page
            # counts: SQLite reads them from the index alone (and PostgreSQL, once vacuumed).
            models.Index(
                fields=["kind", "created_at", "member", "score"], name="survey_period_members"
            ),
            models.Index(fields=["member", "kind", "-created_at"], name="survey_member_latest"),
            # The satisfaction page's latest comments: read newest first, stopping at 20,
            # instead of sorting the period's answers.
            models.Index(
                fields=["-created_at", "-id"],
                name="survey_latest_comments",
                condition=Q(score__isnull=False) & ~Q(comment=""),
            ),
        ]

    def __str__(self) -> str:
        score = "dismissed" if self.score is None else self.score
        return f"{self.kind} {score} ({self.context})"

    @property
    def dismissed(self) -> bool:
        return self.score is None

    def clean(self) -> None:
        low, high = SCALES[self.kind]
        if self.score is not None and not low <= self.score <= high:
            raise ValidationError(
                {
                    "score": _("Choose a score from %(low)d to %(high)d.")
                    % {"low": low, "high": high}
                }
            )


class AnswerMonth(models.Model):
    """A calendar month's (UTC) stamp: a new random number whenever an answer dated in the
    month is written (``actions``), a member who answered in it is deleted (``signals``),
    or everything is rebuilt (``townsquare rollup --rebuild``). The satisfaction trend
    caches a month's figures under its stamp, so a cached month is never read once one
    of its answers changed. A month without a row is computed from the answers."""

    month = models.DateField(unique=True)  # its first day
    stamp = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.stamp}"
