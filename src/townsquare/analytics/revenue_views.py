"""Revenue pages: the comparison (/manage/analytics/revenue/), the CRM import (check, then
import) and the accounts not matched to a member, with the means to fix them."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.analytics import charts, crm, crm_actions, revenue
from townsquare.analytics.forms import CrmFileForm
from townsquare.analytics.models import CrmAccount, CrmImport
from townsquare.analytics.periods import Row
from townsquare.analytics.views import analytics_filters, csv_table, query_without_format
from townsquare.core import permissions
from townsquare.moderation.audit_log import safe_cell

RECENT_IMPORTS = 10
UNMATCHED_SHOWN = 100


def _chart(comparison: revenue.Comparison) -> charts.Chart:
    return charts.bar_chart(
        [
            (_("Active members"), comparison.active.average_value or 0),
            (_("Inactive members"), comparison.inactive.average_value or 0),
        ],
        title=_("Average account value (%(currency)s)") % {"currency": comparison.currency},
        description=_(
            "Average CRM account value of members active in the community in the period, "
            "and of members who were not."
        ),
        value_label=comparison.currency,
        label_heading=_("Members"),
    )


@login_required
def revenue_page(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    period = filters.period
    current, previous = revenue.compare(period, period.previous())
    rows = revenue.rows(current, previous)
    if filters.categories is not None:
        # CRM accounts have no category: show — rather than unfiltered figures.
        rows = [Row(r.label, None, None, r.definition, r.percent, r.key) for r in rows]
    tables = {"revenue": rows}
    if request.GET.get("format") == "csv":
        return csv_table(request, tables, period)
    return render(
        request,
        "analytics/revenue.html",
        filters.context
        | {
            "rows": rows,
            "comparison": current,
            "chart": _chart(current) if filters.categories is None else None,
            "query": query_without_format(request),
            "may_import": permissions.may_import_crm(request.user),
        },
    )


@login_required
def crm_import(request: HttpRequest) -> HttpResponse:
    """The upload form (a POST runs the check) and the latest imports."""
    permissions.require(permissions.may_import_crm(request.user))
    form = CrmFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        checked = crm_actions.check_upload(request.user, upload.name, upload.read())
        return redirect("analytics:crm_import_report", checked.pk)
    recent = CrmImport.objects.select_related("created_by").defer("content", "preview")
    return render(
        request,
        "analytics/crm_import.html",
        {
            "form": form,
            "recent": recent[:RECENT_IMPORTS],
            "columns": crm.COLUMNS,
            "max_rows": crm.MAX_ROWS,
            "max_bytes": crm.MAX_BYTES,
        },
    )


@login_required
def crm_import_report(request: HttpRequest, import_id: int) -> HttpResponse:
    """The check's report, with the import button, or the import's result."""
    permissions.require(permissions.may_import_crm(request.user))
    checked = get_object_or_404(CrmImport.objects.defer("content"), pk=import_id)
    return render(
        request,
        "analytics/crm_import_report.html",
        {"import": checked, "statuses": CrmImport.Status},
    )


@login_required
@require_POST
def crm_import_run(request: HttpRequest, import_id: int) -> HttpResponse:
    permissions.require(permissions.may_import_crm(request.user))
    checked = get_object_or_404(CrmImport.objects.defer("content"), pk=import_id)
    try:
        crm_actions.run_import(request.user, checked)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("analytics:crm_import_report", checked.pk)


def _unmatched() -> QuerySet[CrmAccount]:
    return CrmAccount.objects.filter(member__isnull=True).order_by("pk")


@login_required
def crm_unmatched(request: HttpRequest) -> HttpResponse:
    """The CRM accounts matched to no member, each with a form to link it; as CSV too."""
    permissions.require(permissions.may_import_crm(request.user))
    if request.GET.get("format") == "csv":
        return _unmatched_csv()
    return _unmatched_page(request)


def _unmatched_page(
    request: HttpRequest, failed: int | None = None, typed: str = "", error: str = ""
) -> HttpResponse:
    accounts = _unmatched()
    return render(
        request,
        "analytics/crm_unmatched.html",
        {
            "accounts": accounts[:UNMATCHED_SHOWN],
            "count": accounts.count(),
            "shown": UNMATCHED_SHOWN,
            "failed": failed,
            "typed": typed,
            "error": error,
        },
        status=400 if error else 200,
    )


def _unmatched_csv() -> HttpResponse:
    """Every unmatched account, to fix in the CRM; cells made safe from formulas."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["crm_id", "email", "account_value", "currency", "status"])
    rows = _unmatched().values_list("crm_id", "email", "account_value", "currency", "status")
    for crm_id, email, value, currency, status in rows.iterator(chunk_size=2000):
        writer.writerow([safe_cell(crm_id), safe_cell(email), value, currency, status])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="crm-unmatched.csv"'
    return response


@login_required
@require_POST
def crm_link(request: HttpRequest, account_id: int) -> HttpResponse:
    """Link one unmatched account to the member named by handle or email address."""
    permissions.require(permissions.may_import_crm(request.user))
    account = get_object_or_404(CrmAccount, pk=account_id)
    typed = request.POST.get("member", "").strip()[:254]
    wanted = typed.removeprefix("@")
    member = (
        User.objects.filter(Q(handle__iexact=wanted) | Q(email__iexact=wanted)).first()
        if wanted
        else None
    )
    if member is None:
        message = _("No member has this handle or email address.")
        return _unmatched_page(request, account.pk, typed, message)
    crm_actions.link_accounts(request.user, [(account, member)])
    messages.success(
        request,
        _("The account %(account)s is linked to @%(handle)s.")
        % {"account": account.crm_id or account.email, "handle": member.handle},
    )
    return redirect("analytics:crm_unmatched")


@login_required
@require_POST
def crm_rematch(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_import_crm(request.user))
    changed = crm_actions.rematch(request.user)
    messages.success(
        request,
        ngettext(
            "Matched again: %(count)d account changed its member.",
            "Matched again: %(count)d accounts changed their member.",
            changed,
        )
        % {"count": changed},
    )
    return redirect("analytics:crm_unmatched")
