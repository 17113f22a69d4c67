from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from townsquare.core import permissions
from townsquare.core.queries import community_for
from townsquare.imports import actions
from townsquare.imports.checks import (
    CUSTOM_COLUMNS_MAX,
    GROUP_SEPARATOR,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from townsquare.imports.export import export_rows
from townsquare.imports.forms import MembersFileForm
from townsquare.imports.models import ImportStatus, MemberImport

RECENT_IMPORTS = 10


@login_required
def members_import(request: HttpRequest) -> HttpResponse:
    """The upload form (a POST runs the dry run) and the latest imports."""
    permissions.require(permissions.may_import_members(request.user))
    form = MembersFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        member_import = actions.check_upload(request.user, upload.name, upload.read())
        return redirect("imports:member_import", member_import.pk)
    recent = MemberImport.objects.select_related("created_by").defer("content")[:RECENT_IMPORTS]
    return render(
        request,
        "imports/members_import.html",
        {
            "form": form,
            "recent": recent,
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
            "group_separator": GROUP_SEPARATOR,
            "custom_columns_max": CUSTOM_COLUMNS_MAX,
            "max_rows": settings.MEMBERS_IMPORT_MAX_ROWS,
            "max_bytes": settings.MEMBERS_IMPORT_MAX_BYTES,
            "may_export": permissions.may_export_members(request.user),
        },
    )


@login_required
def member_import(request: HttpRequest, import_id: int) -> HttpResponse:
    """The dry-run report with the import buttons, or the import's result."""
    permissions.require(permissions.may_import_members(request.user))
    member_import = get_object_or_404(MemberImport.objects.defer("content"), pk=import_id)
    return render(
        request,
        "imports/member_import.html",
        {"import": member_import, "statuses": ImportStatus},
    )


@login_required
@require_POST
def run_member_import(request: HttpRequest, import_id: int) -> HttpResponse:
    permissions.require(permissions.may_import_members(request.user))
    member_import = get_object_or_404(MemberImport.objects.defer("content"), pk=import_id)
    try:
        actions.start_import(
            request.user,
            member_import,
            only_good_rows=request.POST.get("rows") == "good",
            site_url=request.build_absolute_uri("/"),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:member_import", member_import.pk)


@login_required
@require_GET
def members_export(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_export_members(request.user))
    response = StreamingHttpResponse(
        export_rows(request.user, community_for(request)), content_type="text/csv; charset=utf-8"
    )
    filename = f"members-{timezone.now():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
