import logging
import time
import zoneinfo

from allauth.account import app_settings as allauth_settings
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.actions import MAX_EXPERTISE, handle_taken
from townsquare.accounts.models import PROFILE_FIELDS, TIMEZONE_CHOICES, FieldAudience, User
from townsquare.accounts.queries import Activity, MemberFilters
from townsquare.accounts.validators import (
    DISPLAY_NAME_MAX,
    HANDLE_MAX,
    normalize_display_name,
    normalize_handle,
    validate_display_name,
    validate_handle,
)

logger = logging.getLogger(__name__)

SIGNUP_STAMP_SALT = "townsquare.accounts.signup-started"


def signup_stamp(issued_at: float | None = None) -> str:
    """The signed moment the sign-up form was shown (its ``started`` field)."""
    return signing.dumps(time.time() if issued_at is None else issued_at, salt=SIGNUP_STAMP_SALT)


class SignupForm(AllauthSignupForm):
    """Sign-up, with two defences against bots (docs/moderation.md, "Sign-up defences"):
    the form carries a signed time stamp, and a form sent back sooner than
    SIGNUP_MIN_SECONDS, later than SIGNUP_MAX_AGE_SECONDS or with a stamp that was not ours
    is refused, what was typed kept; and allauth's honeypot field
    (ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD), hidden from people: a form that fills it is
    answered as if it succeeded, and no account is made."""

    handle = forms.CharField(
        label=_("Handle"),
        max_length=HANDLE_MAX,
        help_text=_("How others @mention you: letters, digits, _ . -"),
    )
    display_name = forms.CharField(label=_("Your name"), max_length=DISPLAY_NAME_MAX)
    # Filled by the browser's time zone when JavaScript runs; UTC otherwise.
    timezone = forms.CharField(required=False, widget=forms.HiddenInput)

    # When the form was shown, signed (signup_stamp).
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["email", "handle", "display_name", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = signup_stamp()
        honeypot = self.honeypot_name()
        if honeypot:
            self.fields[honeypot].label = _("Leave this field empty")
            self.fields[honeypot].widget.attrs = {"tabindex": "-1", "autocomplete": "off"}

    @staticmethod
    def honeypot_name() -> str | None:
        return allauth_settings.SIGNUP_FORM_HONEYPOT_FIELD or None

    def visible_fields(self) -> list:
        # The honeypot is drawn apart, out of sight (account/signup.html).
        return [f for f in super().visible_fields() if f.name != self.honeypot_name()]

    def honeypot_field(self):
        name = self.honeypot_name()
        return self[name] if name else None

    def _restamp(self) -> None:
        """Show the form again with a fresh stamp, so sending it again (after a moment)
        is accepted."""
        self.data = self.data.copy()
        self.data[self.add_prefix("started")] = signup_stamp()

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            issued = float(signing.loads(cleaned.get("started") or "", salt=SIGNUP_STAMP_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            issued = None
        age = time.time() - issued if issued is not None else None
        if age is None or age < 0 or age > settings.SIGNUP_MAX_AGE_SECONDS:
            self._restamp()
            raise ValidationError(
                _("This form has expired or was changed. Please check it and send it again.")
            )
        if age < settings.SIGNUP_MIN_SECONDS:
            self._restamp()
            raise ValidationError(
                _(
                    "That was quicker than a person can fill in this form. Please check "
                    "your details and send it again."
                )
            )
        return cleaned

    def try_save(self, request):
        if (name := self.honeypot_name()) and self.cleaned_data.get(name):
            # allauth answers as if the account were made, and makes none.
            logger.info("Sign-up with the honeypot field filled refused.")
        return super().try_save(request)

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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = {name: self.fields[name].label for name in PROFILE_FIELDS}
        for name in PROFILE_FIELDS:
            self.fields[visibility_field(name)] = forms.ChoiceField(
                label=_("Who sees “%(field)s”") % {"field": labels[name]},
                choices=FieldAudience.choices,
                initial=FieldAudience.default(),
                # Left out (an older form, an API client): the setting stays as it is.
                required=False,
            )

    def clean_expertise(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["expertise"].split(",") if n.strip()]
        if len(names) > MAX_EXPERTISE:
            raise ValidationError(_("At most %(n)d areas of expertise.") % {"n": MAX_EXPERTISE})
        return names

    def field_visibility(self) -> dict[str, str]:
        chosen = {name: self.cleaned_data.get(visibility_field(name)) for name in PROFILE_FIELDS}
        return {name: audience for name, audience in chosen.items() if audience}


def visibility_field(name: str) -> str:
    return f"{name}_visibility"


ACTIVITY_CHOICES = [
    (Activity.ANY, _("Anyone")),
    (Activity.ACTIVE, _("Active in the last 30 days")),
    (Activity.POSTED, _("Has posted")),
]


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DirectoryForm(forms.Form):
    """The directory's search and filters (GET). Groups are those the viewer may see."""

    q = forms.CharField(label=_("Name or handle"), required=False, max_length=100)
    company = forms.CharField(label=_("Company"), required=False, max_length=100)
    location = forms.CharField(label=_("Location"), required=False, max_length=100)
    expertise = forms.CharField(label=_("Expertise"), required=False, max_length=40)
    group = forms.ChoiceField(label=_("Group"), required=False)
    joined_after = forms.DateField(label=_("Joined on or after"), required=False, widget=DATE_INPUT)
    joined_before = forms.DateField(
        label=_("Joined on or before"), required=False, widget=DATE_INPUT
    )
    activity = forms.ChoiceField(label=_("Activity"), required=False, choices=ACTIVITY_CHOICES)

    def __init__(self, data, groups, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.groups = {group.slug: group for group in groups}
        self.fields["group"].choices = [("", _("Any group"))] + [
            (group.slug, group.name) for group in self.groups.values()
        ]
        self.fields["group"].error_messages["invalid_choice"] = _("There is no group “%(value)s”.")

    def clean(self) -> dict:
        data = super().clean()
        after, before = data.get("joined_after"), data.get("joined_before")
        if after and before and after > before:
            self.add_error("joined_before", _("This date is before the “joined after” date."))
        return data

    def filters(self) -> MemberFilters:
        data = self.cleaned_data
        return MemberFilters(
            q=data["q"].strip(),
            company=data["company"].strip(),
            location=data["location"].strip(),
            expertise=data["expertise"].strip(),
            group=self.groups.get(data["group"]) if data["group"] else None,
            joined_after=data["joined_after"],
            joined_before=data["joined_before"],
            activity=data["activity"] or Activity.ANY,
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=60)


def _posts_field() -> forms.ChoiceField:
    from townsquare.accounts.privacy import PostsChoice

    return forms.ChoiceField(
        label=_("Your posts and messages"),
        choices=PostsChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happens to the posts.")},
    )


class DeleteAccountForm(forms.Form):
    """A member deletes their own account: what happens to the posts, and the password."""

    posts = _posts_field()
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account cannot be restored."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class DeleteMemberForm(forms.Form):
    """An admin deletes a member's account at their request."""

    posts = _posts_field()
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the audit log, e.g. “asked by email on 3 May”."),
    )
