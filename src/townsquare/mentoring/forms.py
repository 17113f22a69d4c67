from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.actions import MAX_EXPERTISE
from townsquare.mentoring.actions import MAX_CAPACITY


class MentoringProfileForm(forms.Form):
    is_mentor = forms.BooleanField(label=_("I offer mentoring"), required=False)
    is_mentee = forms.BooleanField(label=_("I am looking for a mentor"), required=False)
    areas = forms.CharField(
        label=_("Areas"),
        required=False,
        max_length=500,
        help_text=_("What you can teach or want to learn, separated by commas."),
    )
    about = forms.CharField(
        label=_("A few words"), required=False, max_length=1000, widget=forms.Textarea
    )
    capacity = forms.IntegerField(
        label=_("Mentees at a time"), min_value=1, max_value=MAX_CAPACITY, initial=2
    )

    def clean_areas(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["areas"].split(",") if n.strip()]
        if len(names) > MAX_EXPERTISE:
            raise ValidationError(_("At most %(n)d areas.") % {"n": MAX_EXPERTISE})
        return names


class MentorRequestForm(forms.Form):
    note = forms.CharField(
        label=_("What do you hope to learn?"), max_length=1000, widget=forms.Textarea
    )
