"""Reads shared by pages, the API and middleware."""

from django.http import HttpRequest

from townsquare.core.models import Community, GuidelinesVersion


def get_community() -> Community:
    community, _ = Community.objects.get_or_create(pk=1)
    return community


def community_for(request: HttpRequest) -> Community:
    """The community, loaded once per request."""
    if not hasattr(request, "_community"):
        request._community = get_community()
    return request._community


def current_guidelines() -> GuidelinesVersion | None:
    return GuidelinesVersion.objects.order_by("-version").first()


def current_guidelines_version(request: HttpRequest) -> int | None:
    if not hasattr(request, "_guidelines_version"):
        request._guidelines_version = (
            GuidelinesVersion.objects.order_by("-version").values_list("version", flat=True).first()
        )
    return request._guidelines_version
