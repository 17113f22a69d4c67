"""Personal API tokens: ``Authorization: Bearer <token>``.

The token is resolved in middleware, before the access-mode check, so a request with a
token is a member's request everywhere: pages, the API and the policy alike.
"""

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import SessionAuth

from townsquare.accounts.models import ApiToken, hash_token
from townsquare.core import permissions
from townsquare.moderation.queries import suspension_message

LAST_USED_RESOLUTION = timedelta(minutes=5)


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.headers.get("authorization", "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return self.get_response(request)
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(raw.strip()), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return JsonResponse({"detail": _("Invalid or revoked API token.")}, status=401)
        if permissions.is_suspended(token.user):
            # The token stays valid: it works again when the suspension ends.
            message = suspension_message(token.user)
            return JsonResponse({"detail": message, "field": None}, status=403)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request.user = token.user
        request.api_token = token
        # A token is not an ambient credential like a cookie, so CSRF does not apply.
        request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class MemberAuth(SessionAuth):
    """Signed-in members: by token (resolved above) or by session with a CSRF check."""

    def __call__(self, request: HttpRequest):
        if getattr(request, "api_token", None) is not None:
            return request.user
        return super().__call__(request)


member_auth = MemberAuth()
