"""The sections of the guidelines in force, which moderators cite in their decisions and
notices: each is a heading of the guidelines with a stable anchor (core.markdown), so
``/guidelines#be-kind`` opens it."""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from townsquare.core import markdown
from townsquare.core.queries import current_guidelines


def guideline_sections() -> list[tuple[str, str]]:
    """(anchor, heading title) of every section of the guidelines in force, in order."""
    version = current_guidelines()
    return markdown.heading_sections(version.body) if version is not None else []


def guideline_url(anchor: str) -> str:
    """The address of a section of the guidelines (``/guidelines/#be-kind``); the page
    itself when ``anchor`` is empty."""
    url = reverse("guidelines")
    return f"{url}#{anchor}" if anchor else url


def guideline_choices() -> list[tuple[str, str]]:
    """Choices for a form field naming a section; the first says "none"."""
    return [("", _("No particular section")), *guideline_sections()]


def clean_guideline(anchor: str) -> str:
    """An anchor as given by a moderator: empty, or a section of the guidelines in force.
    (An anchor of an older version still opens the page; it is not accepted for new
    decisions so that members are sent to what is in force.)"""
    anchor = (anchor or "").strip().lstrip("#")
    if anchor and anchor not in dict(guideline_sections()):
        raise ValidationError(
            {
                "guideline": _("There is no section “%(anchor)s” in the guidelines.")
                % {"anchor": anchor}
            }
        )
    return anchor
