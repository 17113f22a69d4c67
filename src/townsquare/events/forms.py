from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import TIMEZONE_CHOICES
from townsquare.events.actions import local_to_utc
from townsquare.events.models import (
    EventFormat,
    RegistrationQuestion,
    RegistrationStatus,
    ResourceKind,
    Visibility,
)
from townsquare.events.series import REPEAT_CHOICES, SCOPE_CHOICES


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as written, without a zone: read in the event's own time zone
    (events.actions.local_to_utc), not the browser's or the viewer's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: object) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed.replace(tzinfo=None)


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italic*, [links](https://…), lists."),
    )
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIMEZONE_CHOICES,
        help_text=_("The start and end are read in this zone; members see their own."),
    )
    # Not required: a form without it (older clients) means "does not repeat" / unchanged.
    repeat = forms.ChoiceField(
        label=_("Repeat"), choices=REPEAT_CHOICES, initial="once", required=False
    )
    rule = forms.CharField(
        label=_("Custom rule"),
        required=False,
        max_length=500,
        help_text=_(
            "With “Custom rule”: an iCalendar RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE."
        ),
    )
    scope = forms.ChoiceField(
        label=_("Apply the changes to"),
        choices=SCOPE_CHOICES,
        initial="this",
        required=False,
        widget=forms.RadioSelect,
    )
    format = forms.ChoiceField(label=_("Format"), choices=EventFormat.choices)
    video_url = forms.URLField(
        label=_("Video link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("Shown to those going shortly before the start."),
    )
    venue = forms.CharField(label=_("Venue"), required=False, max_length=200)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for no limit; when full, members join a waiting list."),
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=None, required=False, empty_label=_("No group")
    )
    visibility = forms.ChoiceField(label=_("Who may see it"), choices=Visibility.choices)
    hosts = forms.CharField(
        label=_("Hosts"),
        required=False,
        max_length=500,
        help_text=_("Members' @handles, separated by commas; you when left empty."),
    )
    guests = forms.CharField(
        label=_("Guest hosts"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: name, title (e.g. “Anna Nowak, Head of Product”)."),
    )
    questions = forms.CharField(
        label=_("Registration questions"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line; end a line with * to make the answer required."),
    )
    cover = forms.ImageField(label=_("Cover image"), required=False)
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)

    def __init__(self, *args, groups=None, occurrence: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        if not occurrence:  # which occurrences to change: only asked in a series
            del self.fields["scope"]

    def guest_list(self) -> list[tuple[str, str]]:
        guests = []
        for line in split_lines(self.cleaned_data["guests"]):
            name, _comma, title = line.partition(",")
            guests.append((name.strip(), title.strip()))
        return guests

    def question_list(self) -> list[tuple[str, bool]]:
        return [
            (line.rstrip("*").strip(), line.endswith("*"))
            for line in split_lines(self.cleaned_data["questions"])
        ]

    def handle_list(self) -> list[str]:
        return [h for h in self.cleaned_data["hosts"].replace(",", " ").split() if h]

    def event_fields(self) -> dict:
        """The event's fields, its times local to its zone read as UTC instants
        (ValidationError for a time the clocks skip or repeat)."""
        data = self.cleaned_data
        zone = data["timezone"]
        return {
            "title": data["title"],
            "description": data["description"],
            "starts_at": local_to_utc(data["starts_at"], zone, "starts_at"),
            "ends_at": local_to_utc(data["ends_at"], zone, "ends_at"),
            "timezone": zone,
            "format": data["format"],
            "video_url": data["video_url"],
            "venue": data["venue"],
            "address": data["address"],
            "capacity": data["capacity"],
            "visibility": data["visibility"],
            "group": data["group"],
        }


def questions_text(questions: list[RegistrationQuestion]) -> str:
    return "\n".join(q.text + (" *" if q.required else "") for q in questions)


class RsvpForm(forms.Form):
    """The answer to an event, with its registration questions as fields question_<id>."""

    status = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (RegistrationStatus.GOING, _("Going")),
            (RegistrationStatus.MAYBE, _("Maybe")),
            (RegistrationStatus.NOT_GOING, _("Not going")),
        ],
        widget=forms.RadioSelect,
    )
    show_me = forms.BooleanField(
        label=_("Show me to the other attendees"), required=False, initial=False
    )

    def __init__(self, *args, questions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            # Required questions are checked by the action (not for "not going").
            self.fields[f"question_{question.pk}"] = forms.CharField(
                label=question.text + (" *" if question.required else ""),
                required=False,
                max_length=1000,
            )

    def answers(self) -> dict[str, str]:
        return {
            name.removeprefix("question_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("question_")
        }


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Ticket code"), max_length=20)


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("Address"), max_length=500, assume_scheme="https")


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is declined (the proposer is told)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was it?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1: poor, 5: excellent."),
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
