"""Forms for the message pages. They only parse input; the actions validate and decide."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def split_handles(value: str) -> list[str]:
    """ "@alice, bob carol" -> ["alice", "bob", "carol"]."""
    return [part.lstrip("@") for part in re.split(r"[\s,;]+", value or "") if part.strip("@")]


def _body_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "maxlength": settings.MESSAGING_MESSAGE_MAX_LENGTH}
        ),
        help_text=_("Markdown: **bold**, _italic_, `code`, lists and links."),
    )


class NewConversationForm(forms.Form):
    participants = forms.CharField(
        label=_("To"),
        max_length=1000,
        help_text=_("Handles of up to 9 members, separated by spaces or commas."),
    )
    body = _body_field()


class ReplyForm(forms.Form):
    body = _body_field()


def show_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's errors next to the fields they name; the typed text stays."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
