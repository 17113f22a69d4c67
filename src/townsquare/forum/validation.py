"""Checks on what members write: titles, post bodies and tags. Shared by every action that
takes them (topics, replies, edits, scheduled prompts), so the limits and the messages are
the same on every page and in the API."""

import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.validators import refuse_hidden_characters
from townsquare.forum.models.topics import TAG_MAX_LENGTH

_TAG_RE = re.compile(rf"^[^\W_][\w-]{{0,{TAG_MAX_LENGTH - 1}}}$")


def clean_title(value: str) -> str:
    title = " ".join(unicodedata.normalize("NFC", value or "").split())
    try:
        refuse_hidden_characters(title)
    except ValidationError as error:
        raise ValidationError({"title": error.messages}) from error
    low, high = settings.FORUM_TITLE_MIN_LENGTH, settings.FORUM_TITLE_MAX_LENGTH
    if len(title) < low:
        raise ValidationError(
            {"title": _("The title needs at least %(min)d characters.") % {"min": low}}
        )
    if len(title) > high:
        raise ValidationError(
            {
                "title": _("The title is %(length)d characters long; the limit is %(max)d.")
                % {"length": len(title), "max": high}
            }
        )
    return title


def clean_body(value: str, field: str = "body") -> str:
    body = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    body = body.strip()
    if "\x00" in body:
        raise ValidationError({field: _("The text contains a NUL character; please remove it.")})
    low, high = settings.FORUM_POST_MIN_LENGTH, settings.FORUM_POST_MAX_LENGTH
    if len(body) < low:
        raise ValidationError(
            {field: _("Please write at least %(min)d characters.") % {"min": low}}
        )
    if len(body) > high:
        raise ValidationError(
            {
                field: _("The text is %(length)d characters long; the limit is %(max)d characters.")
                % {"length": len(body), "max": high}
            }
        )
    return body


def normalize_tag(value: str) -> str:
    return unicodedata.normalize("NFKC", value.strip().lstrip("#")).lower()


def clean_tags(values: Iterable[str]) -> list[str]:
    """Tag names as members typed them (with or without #), normalised and checked."""
    names = list(dict.fromkeys(n for n in (normalize_tag(v) for v in values) if n))
    for name in names:
        if not _TAG_RE.match(name):
            raise ValidationError(
                {
                    "tags": _(
                        "“%(tag)s” is not a valid tag: use letters, digits and hyphens, "
                        "at most %(max)d characters."
                    )
                    % {"tag": name[:50], "max": TAG_MAX_LENGTH}
                }
            )
    limit = settings.FORUM_TAGS_PER_TOPIC
    if len(names) > limit:
        raise ValidationError(
            {
                "tags": ngettext(
                    "A topic can have at most %(max)d tag.",
                    "A topic can have at most %(max)d tags.",
                    limit,
                )
                % {"max": limit}
            }
        )
    return names
