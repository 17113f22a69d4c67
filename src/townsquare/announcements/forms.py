from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role
from townsquare.announcements.actions import BODY_MAX, MAX_DAYS, SUBJECT_MAX, validate_segment
from townsquare.announcements.models import Segment
from townsquare.groups.models import Group
from townsquare.onboarding.forms import PlaceholderMailForm


class SegmentForm(forms.Form):
    """Who receives it; what each kind of segment needs is checked by the action."""

    segment = forms.ChoiceField(
        label=_("Send to"), choices=Segment.choices, initial=Segment.EVERYONE
    )
    segment_group = forms.ModelChoiceField(
        label=_("Group"), queryset=Group.objects.none(), required=False
    )
    segment_role = forms.ChoiceField(
        label=_("Role"), choices=[("", "---------"), *Role.choices], required=False
    )
    segment_days = forms.IntegerField(
        label=_("Days"),
        min_value=1,
        max_value=MAX_DAYS,
        required=False,
        help_text=_("For “joined in the last N days” and “not seen for N days”."),
    )
    segment_field = forms.CharField(
        label=_("Profile field"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "custom-field-names"}),
        help_text=_("A custom field from the members import, such as “region”."),
    )
    segment_value = forms.CharField(
        label=_("Value"),
        max_length=200,
        required=False,
        help_text=_("Members whose field has this value (upper or lower case alike)."),
    )

    def __init__(self, *args, groups=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if groups is not None:
            self.fields["segment_group"].queryset = groups.order_by("name")

    def clean(self) -> dict:
        """What the chosen segment needs (a group, a role, days ...), as the action checks
        it: shown with the other errors, and the fields it does not use cleared."""
        data = super().clean()
        if "segment" in data:
            for field, errors in validate_segment(data).items():
                if field not in self.errors:
                    self.add_error(field, errors)
        return data


class AnnouncementForm(PlaceholderMailForm, SegmentForm):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(
        label=_("Body"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 16})
    )

    field_order = ["subject", "body"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)
