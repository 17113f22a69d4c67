from django.http import HttpRequest
from ninja.errors import AuthenticationError

from townsquare.core import permissions
from townsquare.core.queries import community_for


def require_area(request: HttpRequest, area: str) -> None:
    """API twin of AccessModeMiddleware's page check: visitors get 401 outside public areas."""
    if not permissions.may_view_area(request.user, community_for(request), area):
        raise AuthenticationError
