"""``PUT /api/v1/crm/accounts``: CRM accounts from a BI or CRM tool (docs/api.md). A JSON
list, upserted by crm_id or email, all or nothing. Managers and admins only."""

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from townsquare.analytics import crm, crm_actions
from townsquare.api.auth import member_auth
from townsquare.core import permissions

router = Router(tags=["analytics"])

_ITEM = {
    "type": "object",
    "properties": {
        "crm_id": {"type": "string", "maxLength": crm.CRM_ID_MAX},
        "email": {"type": "string", "format": "email"},
        "account_value": {"type": ["number", "string"], "example": "1234.50"},
        "currency": {"type": "string", "example": "USD"},
        "customer_since": {"type": "string", "format": "date"},
        "renewal_date": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["active", "churned"]},
        "churned_on": {"type": "string", "format": "date"},
    },
    "required": ["account_value"],
}


def _answer(request: HttpRequest, status: int, body: dict) -> HttpResponse:
    from townsquare.api.main import api

    return api.create_response(request, body, status=status)


@router.put(
    "/crm/accounts",
    auth=member_auth,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "array", "items": _ITEM}}},
        }
    },
)
def put_accounts(request: HttpRequest) -> HttpResponse:
    """Upsert CRM accounts: a row with a crm_id updates the account with that id, one
    without updates the account with its email address; others are added, then matched
    to members. Any bad row means nothing is written: 422 with every row's errors
    (``row`` is the index in the list, from 0). Answers the counts."""
    if not permissions.may_import_crm(request.user):
        raise PermissionDenied
    if len(request.body) > crm.MAX_BYTES:
        return _answer(request, 413, {"detail": _("The request is too large."), "field": None})
    try:
        items = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _answer(request, 422, {"detail": _("The body is not valid JSON."), "field": None})
    crm_import, report = crm_actions.import_items(request.user, items)
    if crm_import is None:
        detail = report.file_errors[0] if report.file_errors else _("Some rows have problems.")
        body = {
            "detail": detail,
            "field": None,
            "created": 0,
            "updated": 0,
            "errors": report.errors_as_json(),
        }
        return _answer(request, 422, body)
    return _answer(
        request,
        200,
        {
            "created": crm_import.created_count,
            "updated": crm_import.updated_count,
            "errors": [],
        },
    )
