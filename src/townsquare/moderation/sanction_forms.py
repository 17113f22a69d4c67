"""Forms of the staff page of one member (sanctions) and of the member's notices page."""

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.moderation.guidelines import guideline_choices


class SanctionForm(forms.Form):
    """Warn, silence or suspend: for some days or until a date (suspensions also for
    good), with a reason and the guideline section it concerns."""

    KINDS = [
        ("warn", _("Warn")),
        ("silence", _("Silence (can read, cannot post or message)")),
        ("suspend", _("Suspend (cannot sign in)")),
    ]
    kind = forms.ChoiceField(label=_("Action"), choices=KINDS, widget=forms.RadioSelect)
    days = forms.IntegerField(
        label=_("For how many days"),
        required=False,
        min_value=1,
        max_value=settings.MODERATION_SANCTION_MAX_DAYS,
    )
    until = forms.DateField(
        label=_("Or until (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    for_good = forms.BooleanField(label=_("Suspend for good"), required=False)
    reason = forms.CharField(
        label=_("Reason (the member is told it)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    guideline = forms.ChoiceField(label=_("Guideline section"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guideline"].choices = guideline_choices()

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        if kind == "warn" or self.errors:
            data["end"] = None
            return data
        if data.get("for_good"):
            if kind != "suspend":
                self.add_error("for_good", _("Only a suspension can be for good."))
            data["end"] = None
            return data
        if data.get("days"):
            data["end"] = timezone.now() + timedelta(days=data["days"])
        elif data.get("until"):
            # The end of that day in the moderator's time zone.
            data["end"] = timezone.make_aware(
                datetime.combine(data["until"] + timedelta(days=1), time.min)
            )
        else:
            self.add_error("days", _("Say for how many days, or until when."))
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why lift it (the member is told)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AppealForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer to the moderators"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=settings.MESSAGING_MESSAGE_MAX_LENGTH,
    )
