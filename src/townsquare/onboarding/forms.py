from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.onboarding.actions import MAX_DAY
from townsquare.onboarding.models import Goal
from townsquare.onboarding.placeholders import check


class PlaceholderMailForm(forms.Form):
    """A mail written by a manager: ``subject`` and a markdown ``body`` with the placeholders
    of ``onboarding.placeholders``, checked so a typo is shown before any mail is built.
    Shared by the welcome series and announcements."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "Markdown. {first_name} is the member's first name, {community} the community's "
            "name, {site_url} the site's address; write {{ and }} for literal braces. Links to "
            "pages of the site may start with /."
        )

    def _clean_placeholders(self, field: str) -> str:
        value = self.cleaned_data[field]
        problems = check(value)
        if problems:
            raise forms.ValidationError(problems)
        return value

    def clean_subject(self) -> str:
        return self._clean_placeholders("subject")

    def clean_body(self) -> str:
        return self._clean_placeholders("body")


class StepForm(PlaceholderMailForm):
    day_offset = forms.IntegerField(
        label=_("Day"),
        min_value=0,
        max_value=MAX_DAY,
        help_text=_("Days after joining: 0 is the day they join."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Body"), max_length=20000, widget=forms.Textarea(attrs={"rows": 14})
    )
    goal = forms.ChoiceField(
        label=_("Skip when the member has"),
        choices=Goal.choices,
        initial=Goal.NONE,
        help_text=_("A member who already did this does not get the step."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
