"""Where visits come from, and page views recorded cheaply.

The request only appends a plain tuple to an in-memory buffer (core.buffers). Everything
else (visitor keys, model rows, one bulk insert) happens when the buffer is flushed, after
the response has gone out. bench/pageview_overhead.py measures the cost.
"""

import functools
import hashlib
import hmac
from datetime import date, datetime
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils import timezone

from townsquare.core import buffers
from townsquare.core.buffers import WriteBuffer
from townsquare.core.models import PageView, Source

SEARCH_ENGINES = (
    "google.", "bing.com", "duckduckgo.com", "baidu.com", "yandex.", "search.yahoo.",
    "ecosia.org", "sogou.com", "so.com", "sm.cn", "naver.com", "startpage.com", "qwant.com",
    "search.brave.com",
)  # fmt: skip
SOCIAL_NETWORKS = (
    "facebook.com", "fb.com", "twitter.com", "x.com", "t.co", "linkedin.com", "lnkd.in",
    "reddit.com", "weibo.com", "weibo.cn", "weixin.qq.com", "wechat.com", "zhihu.com",
    "douban.com", "youtube.com", "instagram.com", "tiktok.com", "wykop.pl", "mastodon.social",
    "bsky.app", "threads.net", "news.ycombinator.com",
)  # fmt: skip
WEBMAIL = (
    "mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com",
    "mail.qq.com", "mail.163.com", "poczta.onet.pl", "poczta.wp.pl", "poczta.interia.pl",
)  # fmt: skip


def _matches(host: str, domains: tuple[str, ...]) -> bool:
    for domain in domains:
        if domain.endswith("."):
            if host.startswith(domain) or f".{domain}" in host:
                return True
        elif host == domain or host.endswith(f".{domain}"):
            return True
    return False


def classify(referrer: str, own_host: str, query_string: str = "") -> tuple[str, str]:
    """Return (source, referrer host) for a request, from its Referer and utm tags."""
    params = parse_qs(query_string)
    medium = (params.get("utm_medium") or params.get("src") or [""])[0].lower()
    if medium in {"email", "e-mail", "newsletter", "digest"}:
        return Source.EMAIL, ""
    host = (urlsplit(referrer).hostname or "").lower() if referrer else ""
    if host.startswith("www."):
        host = host[4:]
    if medium in {"social", "social-media"}:
        return Source.SOCIAL, host
    if not host:
        return Source.DIRECT, ""
    own = own_host.split(":")[0].lower().removeprefix("www.")
    if host == own:
        return Source.INTERNAL, ""
    if _matches(host, WEBMAIL):
        return Source.EMAIL, host
    if _matches(host, SEARCH_ENGINES):
        return Source.SEARCH, host
    if _matches(host, SOCIAL_NETWORKS):
        return Source.SOCIAL, host
    return Source.REFERRAL, host


@functools.lru_cache(maxsize=2)
def _daily_salt(day: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), day.encode(), hashlib.sha256).digest()


def visitor_key(address: str, user_agent: str, day: date | None = None) -> str:
    """A key for one visitor on one day; the daily salt makes days unlinkable."""
    salt = _daily_salt((day or timezone.now().date()).isoformat(), settings.SECRET_KEY)
    return hmac.new(salt, f"{address}|{user_agent}".encode(), hashlib.sha256).hexdigest()[:32]


class Seen(NamedTuple):
    """A page view as the request saw it; turned into a PageView row at flush time."""

    created_at: datetime
    user_id: int | None
    address: str
    user_agent: str
    path: str
    route: str
    area: str
    source: str
    referrer_host: str
    status: int

    def as_row(self) -> PageView:
        return PageView(
            created_at=self.created_at,
            user_id=self.user_id,
            visitor_key=visitor_key(self.address, self.user_agent, self.created_at.date()),
            path=self.path[:300],
            route=self.route[:100],
            area=self.area,
            source=self.source,
            referrer_host=self.referrer_host[:200],
            status=self.status,
        )


def _write_page_views(views: list[Seen]) -> None:
    PageView.objects.bulk_create([view.as_row() for view in views], batch_size=500)


buffer = buffers.register(
    WriteBuffer(
        _write_page_views,
        max_items=lambda: settings.PAGEVIEW_BUFFER_SIZE,
        max_seconds=lambda: settings.PAGEVIEW_BUFFER_SECONDS,
    )
)
