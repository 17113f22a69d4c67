"""What the event pages share."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from townsquare.core.queries import community_for
from townsquare.events import queries
from townsquare.events.models import Event


def event_or_404(request: HttpRequest, pk: int) -> Event:
    """The event, if the policy lets the reader see it; 404 otherwise (never 403: a
    hidden event does not exist for them)."""
    event = queries.visible_event(request.user, community_for(request), pk)
    if event is None:
        raise Http404(_("No such event."))
    return event
