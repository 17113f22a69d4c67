"""``{first_name}``, ``{community}`` and ``{site_url}`` in a step's subject and body.

``check`` finds what is wrong (a form refuses the step); ``fill`` substitutes and raises
``PlaceholderError`` for a step that slipped through, so only that mail fails. ``{{`` and
``}}`` write literal braces. Values written into markdown are escaped first: a display name
like ``<b>x</b>`` or ``[x](http://evil)`` stays text.
"""

import re
import string

from django.utils.translation import gettext as _

PLACEHOLDERS = ("first_name", "community", "site_url")
# Values taken as they are (the site's own address, from settings); the rest are escaped.
TRUSTED = {"site_url"}
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark


class PlaceholderError(ValueError):
    pass


def check(text: str) -> list[str]:
    """Problems with the placeholders of ``text`` (empty: none)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return [_("A brace is not closed: write {{ and }} for literal braces.")]
    problems = []
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            problems.append(
                _("Unknown placeholder %(placeholder)s; use %(allowed)s.")
                % {"placeholder": shown, "allowed": allowed}
            )
    return problems


def escape_markdown(value: str) -> str:
    """Backslash-escape every ASCII punctuation mark: markdown shows them as they are."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", value)


def fill(text: str, values: dict[str, str], *, markdown: bool = False) -> str:
    """``text`` with its placeholders replaced; ``markdown`` escapes untrusted values."""
    problems = check(text)
    if problems:
        raise PlaceholderError("; ".join(problems))
    if markdown:
        values = {k: v if k in TRUSTED else escape_markdown(v) for k, v in values.items()}
    return text.format_map(values)


def first_name(display_name: str) -> str:
    """The first word of a display name (the whole of it for CJK names without spaces)."""
    words = display_name.split()
    return words[0] if words else display_name
