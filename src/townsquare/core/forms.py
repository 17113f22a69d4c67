from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import Role
from townsquare.core.areas import AREAS
from townsquare.core.models import AccessMode
from townsquare.groups.models import Group


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an action's validation error on the form, next to the field it is about."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def flash_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show an action's validation error as messages, for views that answer by redirect."""
    for message in error.messages:
        messages.error(request, message)


class CommunitySettingsForm(forms.Form):
    name = forms.CharField(label=_("Community name"), max_length=80)
    tagline = forms.CharField(label=_("Tagline"), max_length=160, required=False)
    logo = forms.ImageField(label=_("Logo"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    access_mode = forms.ChoiceField(
        label=_("Access mode"), choices=AccessMode.choices, widget=forms.RadioSelect
    )
    public_areas = forms.MultipleChoiceField(
        label=_("Public areas in hybrid mode"),
        choices=list(AREAS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    newcomers_group = forms.ModelChoiceField(
        label=_("Newcomers group"),
        queryset=Group.objects.order_by("name"),
        required=False,
        help_text=_("New members join this group when they become members."),
    )
    newcomers_days = forms.IntegerField(
        label=_("Days in the newcomers group"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("After this many days newcomers leave the group by themselves."),
    )
    meetup_trust_level = forms.IntegerField(
        label=_("Trust level that may propose meetups"),
        required=False,
        min_value=0,
        max_value=4,
        help_text=_("Members at this trust level or above propose events; the moderators decide."),
    )


class MissionForm(forms.Form):
    mission = forms.CharField(
        label=_("Mission statement"), required=False, max_length=5000, widget=forms.Textarea
    )
    goals = forms.CharField(
        label=_("Goals"), required=False, max_length=10000, widget=forms.Textarea
    )


class GuidelinesForm(forms.Form):
    body = forms.CharField(
        label=_("Guidelines (Markdown)"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 20}),
    )
    change_summary = forms.CharField(label=_("What changed"), max_length=300, required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
