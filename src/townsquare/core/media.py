"""Uploaded files, served with the policy applied: the logo is open, avatars belong to the
member directory, forum attachments to those who may read a post that uses them. At scale,
put a proxy cache in front (docs/operations.md)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.static import serve

from townsquare.core import permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.queries import community_for
from townsquare.forum.models import Upload


@area(OPEN)  # checked here, file by file
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    community = community_for(request)
    upload = None
    if path.startswith("exports/"):  # members' data: only through their download view
        raise Http404
    if path.startswith("uploads/"):
        upload = Upload.objects.filter(file=path).first()
        if upload is None or not permissions.may_view_upload(request.user, community, upload):
            raise Http404
    elif not path.startswith("community/") and not permissions.may_view_area(
        request.user, community, "members"
    ):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    if upload is not None and upload.kind == Upload.FILE:
        # Files are downloaded under the member's name for them, never shown in the page.
        response.headers["Content-Type"] = upload.content_type
        response.headers["Content-Disposition"] = content_disposition_header(
            True, upload.original_name
        )
    return response
