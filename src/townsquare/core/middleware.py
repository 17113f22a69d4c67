"""Request-wide behaviour: member preferences, traffic and activity origin, access mode and
the guidelines gate."""

import re
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.accounts import actions as account_actions
from townsquare.core import activity, permissions
from townsquare.core.areas import OPEN, view_area
from townsquare.core.models import Channel, Source
from townsquare.core.queries import community_for, current_guidelines_version
from townsquare.core.traffic import Seen, buffer, classify

Handler = Callable[[HttpRequest], HttpResponse]

# Pages anyone may reach in every mode: signing in, signing up, recovering an account.
OPEN_URL_NAMES = {
    "account_login", "account_signup", "account_logout", "account_confirm_email",
    "account_email_verification_sent", "account_reset_password", "account_reset_password_done",
    "account_reset_password_from_key", "account_reset_password_from_key_done",
    "account_inactive", "mfa_authenticate", "set_language", "robots_txt",
}  # fmt: skip
OPEN_NAMESPACES = {"admin"}
UNTRACKED_PREFIXES = ("/static/", "/media/", "/api/", "/django-admin/", "/favicon")
BOT_RE = re.compile(r"bot|crawl|spider|slurp|preview|monitor|curl|wget|python-requests", re.I)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


class MemberPreferencesMiddleware:
    """Show pages in the member's language and time zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


def _client_ip(request: HttpRequest) -> str:
    """The visitor's address, read the way the rate limits read it (proxy-aware)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return ""


class TrafficMiddleware:
    """Note where the visit came from, tag activity with it, note that a member is here,
    and count the page view."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source, referrer_host = classify(
            request.headers.get("referer", ""),
            request.get_host(),
            request.META.get("QUERY_STRING", ""),
        )
        # Actions in this request inherit the visit's source: where the member came from,
        # not the page they clicked on inside the community.
        visit_source = source
        session = getattr(request, "session", None)
        if source == Source.INTERNAL:
            visit_source = (session.get("visit_source") if session else None) or Source.DIRECT
        elif session is not None and request.user.is_authenticated:
            session["visit_source"] = source
        channel = Channel.API if getattr(request, "api_token", None) else Channel.WEB
        with activity.origin(channel, visit_source):
            if request.user.is_authenticated:
                account_actions.touch_visit(request.user)
            response = self.get_response(request)
        if self._should_track(request, response):
            match = request.resolver_match
            buffer.add(
                Seen(
                    created_at=timezone.now(),
                    user_id=request.user.pk if request.user.is_authenticated else None,
                    address=_client_ip(request),
                    user_agent=request.headers.get("user-agent", ""),
                    path=request.path,
                    route=match.view_name if match else "",
                    area=(view_area(match.func) or "") if match else "",
                    source=source,
                    referrer_host=referrer_host,
                    status=response.status_code,
                )
            )
        return response

    @staticmethod
    def _should_track(request: HttpRequest, response: HttpResponse) -> bool:
        return (
            settings.PAGEVIEW_TRACKING
            and request.method == "GET"
            and response.status_code < 400
            and not request.path_info.startswith(UNTRACKED_PREFIXES)
            and not request.headers.get("hx-request")
            and not BOT_RE.search(request.headers.get("user-agent", ""))
        )


def _is_open(request: HttpRequest, view: Callable) -> bool:
    match = request.resolver_match
    return view_area(view) == OPEN or (
        match is not None
        and (match.url_name in OPEN_URL_NAMES or bool(set(match.namespaces) & OPEN_NAMESPACES))
    )


def _login_required(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("Authentication required.")}, status=401)
    login = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")


class AccessModeMiddleware:
    """Private and hybrid communities: visitors reach only what is public.

    Pages and the API are checked here by their area; a view with no area is members only,
    so a page someone forgot to classify fails closed.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        community = community_for(request)
        if not community.is_indexable or getattr(request, "townsquare_noindex", False):
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def process_view(self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict):
        if request.user.is_authenticated or _is_open(request, view):
            return None
        community = community_for(request)
        if _is_api(request):
            # The API checks areas per endpoint; a private community answers nothing.
            return _login_required(request) if community.access_mode == "private" else None
        area = view_area(view)
        if area is not None and permissions.may_view_area(request.user, community, area):
            if not community.area_is_public(area):
                request.townsquare_noindex = True
            return None
        return _login_required(request)


class GuidelinesGateMiddleware:
    """A member who has not accepted the guidelines in force accepts them first."""

    EXEMPT = {
        "guidelines",
        "guidelines_accept",
        "guidelines_version",
        "guidelines_history",
        "unsubscribe",
    }

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict):
        user = request.user
        if not user.is_authenticated or _is_api(request) or _is_open(request, view):
            return None
        match = request.resolver_match
        if match and match.url_name in self.EXEMPT:
            return None
        current = current_guidelines_version(request)
        if current is None or user.guidelines_version == current:
            return None
        if request.headers.get("HX-Request"):
            # A fragment of a page (a badge, a count): swapping the guidelines page into it
            # would put a form in the header. Nothing to show; the page leads there itself.
            return HttpResponse(status=204)
        accept = resolve_url("guidelines_accept")
        return HttpResponseRedirect(f"{accept}?{urlencode({'next': request.get_full_path()})}")
