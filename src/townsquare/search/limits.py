"""How often one may search: visitors per address, members per account (settings)."""

from django.conf import settings
from django.http import HttpRequest

from townsquare.core import ratelimit


def search_wait(request: HttpRequest) -> int | None:
    """Count a search; None when allowed, else the seconds to wait before the next."""
    limit = (
        settings.SEARCH_RATE_LIMIT_MEMBERS
        if request.user.is_authenticated
        else settings.SEARCH_RATE_LIMIT_VISITORS
    )
    return ratelimit.hit("search", ratelimit.client_key(request), ratelimit.Rate(limit, 60))
