from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.core import permissions
from townsquare.notifications.models import DigestFrequency, EventReminders


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
    # Not required: a form sent without it (an older page) sets the default, both.
    event_reminders = forms.TypedChoiceField(
        label=_("Remind me of the events I am going to"),
        choices=EventReminders.choices,
        widget=forms.RadioSelect,
        required=False,
        empty_value=EventReminders.BOTH,
    )
    onboarding = forms.BooleanField(label=_("The welcome series for new members"), required=False)
    analytics_report = forms.BooleanField(
        label=_("The weekly analytics report (community managers)"), required=False
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only those who may read the community's figures are sent them.
        if user is None or not permissions.may_view_analytics(user):
            del self.fields["analytics_report"]
