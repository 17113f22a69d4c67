"""The audit log page (/moderation/audit/) and its CSV export: staff read it; nobody may
change it."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for
from townsquare.moderation import audit_log


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    target_type = forms.ChoiceField(label=_("On what"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    q = forms.CharField(
        label=_("Reason or target contains"), required=False, max_length=audit_log.SEARCH_MAX
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any"))] + [
            (action, action) for action in audit_log.action_choices()
        ]
        self.fields["target_type"].choices = [("", _("Any")), *audit_log.target_type_choices()]


def _filters(form: AuditFilterForm) -> audit_log.AuditFilters | None:
    """The form's filters, or None with the errors on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return audit_log.clean_filters(
            actor=data["actor"],
            action=data["action"],
            target_type=data["target_type"],
            since=data["since"],
            until=data["until"],
            q=data["q"],
        )
    except ValidationError as error:
        apply_errors(form, error)
        return None


@login_required
def audit_log_page(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_view_audit_log(request.user))
    form = AuditFilterForm(request.GET)
    filters = _filters(form)
    entries, next_cursor = [], None
    if filters is not None:
        cursor = request.GET.get("cursor", "")
        entries, next_cursor = audit_log.page(
            filters, cursor=int(cursor) if cursor.isdigit() else None
        )
        audit_log.target_links(request.user, community_for(request), entries)
    for entry in entries:
        entry.changes = audit_log.diff(entry)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "entries": entries,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
    }
    return render(
        request, "moderation/audit_log.html", context, status=200 if filters is not None else 400
    )


@login_required
def audit_log_csv(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_view_audit_log(request.user))
    form = AuditFilterForm(request.GET)
    filters = _filters(form)
    if filters is None:
        return audit_log_page(request)
    response = StreamingHttpResponse(
        audit_log.csv_rows(filters), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
