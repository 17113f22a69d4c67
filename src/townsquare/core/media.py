"""Uploaded files, served with the access mode applied: a private community's avatars are
for members. At scale, put a proxy cache in front (docs/operations.md)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

from townsquare.core import permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.queries import community_for


@area(OPEN)  # checked here by file: the logo is open, avatars belong to the directory
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    if not path.startswith("community/") and not permissions.may_view_area(
        request.user, community_for(request), "members"
    ):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
