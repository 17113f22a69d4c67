import zoneinfo

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.actions import MAX_EXPERTISE, handle_taken
from townsquare.accounts.models import TIMEZONE_CHOICES, User
from townsquare.accounts.validators import (
    DISPLAY_NAME_MAX,
    HANDLE_MAX,
    normalize_display_name,
    normalize_handle,
    validate_display_name,
    validate_handle,
)


class SignupForm(AllauthSignupForm):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=HANDLE_MAX,
        help_text=_("How others @mention you: letters, digits, _ . -"),
    )
    display_name = forms.CharField(label=_("Your name"), max_length=DISPLAY_NAME_MAX)
    # Filled by the browser's time zone when JavaScript runs; UTC otherwise.
    timezone = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["email", "handle", "display_name", "password1", "password2"]

    def clean_handle(self) -> str:
        handle = normalize_handle(self.cleaned_data["handle"])
        validate_handle(handle)
        if handle_taken(handle):
            raise ValidationError(_("This handle is taken; please choose another."))
        return handle

    def clean_display_name(self) -> str:
        name = normalize_display_name(self.cleaned_data["display_name"])
        validate_display_name(name)
        return name

    def clean_timezone(self) -> str:
        value = self.cleaned_data.get("timezone") or "UTC"
        return value if value in zoneinfo.available_timezones() else "UTC"


class AccountForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=DISPLAY_NAME_MAX)
    language = forms.ChoiceField(
        label=_("Language"), choices=User._meta.get_field("language").choices
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)

    def clean_display_name(self) -> str:
        name = normalize_display_name(self.cleaned_data["display_name"])
        validate_display_name(name)
        return name


class ProfileForm(forms.Form):
    bio = forms.CharField(
        label=_("About me"), required=False, max_length=2000, widget=forms.Textarea
    )
    company = forms.CharField(label=_("Company"), required=False, max_length=100)
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    location = forms.CharField(label=_("Location"), required=False, max_length=100)
    expertise = forms.CharField(
        label=_("Expertise"),
        required=False,
        max_length=500,
        help_text=_("Up to 10 topics you know well, separated by commas."),
    )
    avatar = forms.ImageField(label=_("Avatar"), required=False)
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)

    def clean_expertise(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["expertise"].split(",") if n.strip()]
        if len(names) > MAX_EXPERTISE:
            raise ValidationError(_("At most %(n)d areas of expertise.") % {"n": MAX_EXPERTISE})
        return names


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=60)
