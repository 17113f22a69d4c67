"""The ninja API object. Each app contributes its router from ``<app>/api.py``.

Errors are always JSON ``{"detail": message, "field": name-or-null}``.
"""

import json

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from townsquare.accounts.api import router as accounts_router
from townsquare.analytics.api import router as analytics_router
from townsquare.analytics.crm_api import router as crm_router
from townsquare.analytics.goals_api import router as goals_router
from townsquare.announcements.api import router as announcements_router
from townsquare.core import permissions
from townsquare.core.api import router as core_router
from townsquare.events.api import router as events_router
from townsquare.forum.api import router as forum_router
from townsquare.groups.api import router as groups_router
from townsquare.messaging.api import router as messaging_router
from townsquare.moderation.api import router as moderation_router
from townsquare.moderation.limits import RateLimited
from townsquare.moderation.screening import PostHeld, held_message
from townsquare.notifications.api import router as notifications_router
from townsquare.search.api import router as search_router
from townsquare.surveys.api import router as surveys_router

# Characters that mean something to an HTML parser, written as JSON escapes: an answer
# full of member-written text stays inert even if something treats it as HTML.
# (json.dumps already writes every non-ASCII character, U+2028 included, as an escape.)
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class HtmlSafeJSONRenderer(JSONRenderer):
    def render(self, request: HttpRequest, data, *, response_status: int) -> str:
        return json.dumps(data, cls=self.encoder_class).translate(_HTML_SAFE)


api = NinjaAPI(
    title="Townsquare API",
    version="1",
    description="The community's REST API. Authenticate with `Authorization: Bearer <token>`; "
    "create tokens in your settings or with `townsquare apitoken`.",
    urls_namespace="api",
    renderer=HtmlSafeJSONRenderer(),
)
api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/", forum_router)
api.add_router("/", search_router)
api.add_router("/", groups_router)
api.add_router("/", messaging_router)
api.add_router("/", notifications_router)
api.add_router("/", announcements_router)
api.add_router("/", moderation_router)
api.add_router("/", analytics_router)
api.add_router("/", surveys_router)
api.add_router("/", goals_router)
api.add_router("/", crm_router)
api.add_router("/", events_router)


def error(request: HttpRequest, status: int, detail: str, field: str | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field}, status=status)


def _field_name(location: list | tuple) -> str | None:
    # ninja reports ("query", "limit"), ("header", "Idempotency-Key") or, for a JSON body,
    # ("body", "payload", "name"): keep what follows the place and the body's argument.
    parts = [str(part) for part in location]
    if parts and parts[0] in {"query", "path", "header", "cookie", "body", "form", "file"}:
        place, parts = parts[0], parts[1:]
        if place == "body":
            parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    return error(
        request, 422, first.get("msg", _("Invalid input.")), _field_name(first.get("loc", ()))
    )


@api.exception_handler(DjangoValidationError)
def domain_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        return error(request, 422, " ".join(errors[0].messages), field)
    return error(request, 422, " ".join(exc.messages))


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = error(request, 429, " ".join(exc.messages), exc.field)
    response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(PostHeld)
def post_held(request: HttpRequest, exc: PostHeld) -> HttpResponse:
    """A member's post held for approval: accepted, not yet published (docs/api.md)."""
    body = {"status": "pending_approval", "review_id": exc.item.pk, "detail": held_message()}
    return api.create_response(request, body, status=202)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, _("Authentication required."))


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    if isinstance(exc, permissions.Silenced):  # says until when
        return error(request, 403, str(exc))
    return error(request, 403, _("You may not do this."))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, _("Not found."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, str(exc))
