"""The parts of the community that an admin can open to visitors in hybrid mode.

Each view states its area with ``@area("members")``; views that state none are members
only in private and hybrid mode, so a forgotten declaration fails closed. Later apps add
their areas here (forum, groups, events...).
"""

from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

AREAS: dict[str, str] = {
    "home": _("Home page: mission, goals and community information"),
    "members": _("Member directory and profiles"),
    "forum": _("Forum: categories open to everyone, their topics, search and feeds"),
    "events": _("Events open to everyone: the list and their pages"),
}

# Reachable by anyone in every mode: signing in and up, and the guidelines.
OPEN = "open"

View = TypeVar("View", bound=Callable)


def area(name: str) -> Callable[[View], View]:
    """Declare which area a view belongs to (see AccessModeMiddleware)."""
    if name != OPEN and name not in AREAS:
        raise ValueError(f"Unknown area {name!r}")

    def decorate(view: View) -> View:
        view.townsquare_area = name  # type: ignore[attr-defined]
        return view

    return decorate


def view_area(view: Callable) -> str | None:
    return getattr(view, "townsquare_area", None)
