"""Validation of the names people choose: handles and display names.

Handles may use letters of any script, so Chinese and Polish members can be themselves,
but never characters that hide or reorder text (zero-width, bidi overrides, controls),
which are used to impersonate others.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HANDLE_MIN, HANDLE_MAX = 3, 30
DISPLAY_NAME_MAX = 60

# Characters that change how text is shown without being visible themselves.
_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u00ad",  # zero-width, soft hyphen
    "\u200e", "\u200f", "\u061c",  # direction marks
    *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
}  # fmt: skip
_HANDLE_RE = re.compile(r"^[\w.-]+$")


def _hidden_character(value: str) -> str | None:
    for char in value:
        if char in _INVISIBLE or unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}:
            return char
    return None


def refuse_hidden_characters(value: str) -> None:
    if char := _hidden_character(value):
        raise ValidationError(
            _("Contains an invisible or control character (U+%(code)04X); please remove it."),
            code="hidden_character",
            params={"code": ord(char)},
        )


def normalize_handle(value: str) -> str:
    return unicodedata.normalize("NFKC", value.strip())


def validate_handle(value: str) -> None:
    refuse_hidden_characters(value)
    if len(value) < HANDLE_MIN or len(value) > HANDLE_MAX:
        raise ValidationError(
            _("A handle is %(min)d to %(max)d characters long."),
            code="length",
            params={"min": HANDLE_MIN, "max": HANDLE_MAX},
        )
    if not _HANDLE_RE.match(value):
        raise ValidationError(
            _("Use letters, digits, underscores, dots and hyphens only — no spaces."),
            code="characters",
        )
    if value[0] in ".-" or value[-1] in ".-":
        raise ValidationError(
            _("A handle cannot start or end with a dot or a hyphen."), code="edge"
        )


def normalize_display_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def validate_display_name(value: str) -> None:
    # Joiners are allowed in display names: emoji sequences need them.
    hidden = _hidden_character(value.replace("\u200d", ""))
    if hidden:
        refuse_hidden_characters(hidden)
    if not value.strip():
        raise ValidationError(_("Please enter a name."), code="empty")
    if len(value) > DISPLAY_NAME_MAX:
        raise ValidationError(
            _("A name is at most %(max)d characters long."),
            code="length",
            params={"max": DISPLAY_NAME_MAX},
        )
