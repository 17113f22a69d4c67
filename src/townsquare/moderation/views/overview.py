"""The moderators' overview (/moderation/overview/)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from townsquare.core import permissions
from townsquare.moderation import overview as figures


@login_required
def overview_page(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_review(request.user))
    days = request.GET.get("days", "")
    # Only the offered periods; anything else shows the default one.
    days = int(days) if days.isdigit() and int(days) in figures.PERIODS else figures.DEFAULT_PERIOD
    context = {"overview": figures.overview(days), "periods": figures.PERIODS}
    return render(request, "moderation/overview.html", context)
