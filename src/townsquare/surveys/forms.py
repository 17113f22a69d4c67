"""The NPS and CSAT questions as forms: what a member picked is shown again with any error."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.surveys import actions
from townsquare.surveys.models import SCALES, Kind


class AnswerForm(forms.Form):
    """A score on the question's scale and an optional comment; "Not now" needs neither."""

    comment = forms.CharField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        max_length=actions.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kind: str = Kind.NPS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        low, high = SCALES[kind]
        self.scale = list(range(low, high + 1))
        # A plain field, checked in clean_score: one clear message for missing, non-numeric
        # and out-of-range scores alike.
        self.fields["score"] = forms.CharField(required=False)

    @property
    def dismissing(self) -> bool:
        return self.is_bound and bool(self.data.get("dismiss"))

    def clean_score(self) -> int | None:
        if self.dismissing:
            return None
        try:
            return actions.clean_score(self.kind, self.cleaned_data.get("score", ""))
        except ValidationError as error:
            raise ValidationError(error.message_dict["score"]) from None

    @property
    def chosen(self) -> str:
        """The score picked, as text, to check its radio button again."""
        return str(self["score"].value() or "") if self.is_bound else ""
