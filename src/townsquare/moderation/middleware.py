"""Suspended members are out: a session still open when the suspension began ends on its
next request (signed out, told why), and an API token is refused with a JSON 403 (in
api.auth.BearerTokenMiddleware, which resolves tokens). Signing in again is refused by
accounts.adapter. When the suspension ends, nothing is left to undo."""

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse

from townsquare.core import permissions
from townsquare.moderation.queries import suspension_message
from townsquare.moderation.views.notices import suspended_page


class SuspensionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(request, "api_token", None) is None
            and permissions.is_suspended(user)
        ):
            logout(request)
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": suspension_message(user), "field": None}, status=403)
            return suspended_page(request, user)
        return self.get_response(request)
