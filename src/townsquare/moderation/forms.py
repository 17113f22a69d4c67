from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.moderation.actions.flags import FLAG_NOTE_MAX
from townsquare.moderation.models import FlagReason


class FlagForm(forms.Form):
    """Why a member flags something; "something else" needs a note (the action says so)."""

    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note for the moderators"),
        required=False,
        max_length=FLAG_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


MEMBER_ACTIONS = [
    ("", _("No action on the member")),
    ("warn", _("Warn")),
    ("silence", _("Silence for some days (can read, cannot post or message)")),
    ("suspend", _("Suspend for some days (cannot sign in; API tokens stop working)")),
]


class DecisionForm(forms.Form):
    """A moderator's decision on a review item; review.decide validates the combination."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (the author reads it; not needed to keep)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guideline = forms.ChoiceField(label=_("Guideline it broke"), required=False)
    body = forms.CharField(
        label=_("New text (when editing)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    member_action = forms.ChoiceField(
        label=_("Action on the member"), choices=MEMBER_ACTIONS, required=False
    )
    days = forms.IntegerField(label=_("For how many days"), required=False, min_value=1)

    def __init__(self, *args, decisions: list[tuple[str, str]], sections, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = decisions
        self.fields["guideline"].choices = [("", _("None")), *sections]
