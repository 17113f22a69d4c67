"""Calendar files: an event's .ics, the personal calendar feed (its secret address is the
key) and its settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from townsquare.core import permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.queries import community_for
from townsquare.events import calendars, queries
from townsquare.events.models import CalendarFeed


@area("events")
@require_safe
def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = queries.visible_event_or_404(request, pk)
    body = calendars.event_file(event, community_for(request))
    return calendars.response(body, calendars.event_filename(event))


@area(OPEN)  # calendar apps cannot sign in: the secret address is the key
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("member").filter(token=token).first()
    if feed is None or not permissions.may_use_calendar_feed(feed.member, feed.member):
        raise Http404(_("No such calendar."))
    body = calendars.feed_file(feed.member, community_for(request))
    return calendars.response(body, "calendar.ics", download=False)


def _feed_addresses(request: HttpRequest, feed: CalendarFeed) -> dict[str, str]:
    address = request.build_absolute_uri(reverse("events:calendar_feed", args=[feed.token]))
    return {"web": address, "webcal": "webcal://" + address.split("://", 1)[1]}


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The member's calendar feed: its secret address, created on first use (a POST)."""
    if request.method == "POST":
        calendars.calendar_feed(request.user, request.user)
        return redirect("events:calendar_settings")
    feed = CalendarFeed.objects.filter(member=request.user).first()
    addresses = _feed_addresses(request, feed) if feed is not None else None
    return render(request, "events/calendar_settings.html", {"addresses": addresses})


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    calendars.reset_calendar_feed(request.user, request.user)
    messages.success(request, _("Your calendar has a new address: the old one no longer works."))
    return redirect("events:calendar_settings")
