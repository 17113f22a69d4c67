from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.notifications.models import DigestFrequency


class MailSettingsForm(forms.Form):
    digest = forms.ChoiceField(
        label=_("Digest"), choices=DigestFrequency.choices, widget=forms.RadioSelect
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Send the digest at (your time)"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
    )
    announcements = forms.BooleanField(
        label=_("Announcements and newsletters from the community team"), required=False
    )
    onboarding = forms.BooleanField(label=_("The welcome series for new members"), required=False)
