"""A small rate limiter on Django's cache, for pages and API endpoints that are costly or
open to visitors (search first).

``allauth.core.ratelimit`` was considered: its public functions read their rates from
allauth's own account settings, skip GET requests, and cannot say when the caller may try
again, so it does not fit read endpoints that must answer "try again in N seconds".

Counting is by fixed windows (``cache.add`` then ``cache.incr``, atomic in Redis and in
the local-memory cache): at most ``limit`` hits per ``period`` seconds per key. A burst
at a window's edge may reach twice the limit, which is fine for protecting a server.
With several web processes, the cache must be shared (``REDIS_URL``) for the limit to be
global.
"""

import math
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int = 60  # seconds


def client_key(request: HttpRequest) -> str:
    """Members are counted per account, visitors per address (proxy-aware, as sign-in)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    try:
        address = get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # a proxy header that cannot be trusted
        address = ""
    return f"ip:{address}"


def hit(scope: str, key: str, rate: Rate) -> int | None:
    """Count one hit. Returns None when allowed, else the seconds to wait."""
    now = time.time()
    window = int(now // rate.period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=rate.period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=rate.period + 1)
        count = 1
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))
