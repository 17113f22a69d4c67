from django.http import HttpRequest

from townsquare.core import permissions
from townsquare.core.queries import community_for


def community(request: HttpRequest) -> dict:
    current = community_for(request)
    user = request.user
    return {
        "community": current,
        "may_manage": permissions.may_manage(user),
        "may_review": permissions.may_review(user),
        "noindex": not current.is_indexable or getattr(request, "townsquare_noindex", False),
    }
