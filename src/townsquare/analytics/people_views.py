"""/manage/analytics/people/ and the goals' pages (/manage/analytics/goals/)."""

import csv
import io
from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from townsquare.analytics import goal_actions, goals, people
from townsquare.analytics.goal_forms import GoalForm
from townsquare.analytics.models import Goal
from townsquare.analytics.periods import Period
from townsquare.analytics.views import analytics_filters, query_without_format
from townsquare.core import permissions
from townsquare.moderation.audit_log import safe_cell


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return safe_cell(str(value))


def _csv_response(name: str, header: list[str], rows: Iterable[list[object]]) -> HttpResponse:
    """UTF-8 with a byte order mark (spreadsheets then read Chinese and Polish right);
    every text cell made safe from formula injection."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _people_csv(table: people.Table, period: Period) -> HttpResponse:
    return _csv_response(
        f"analytics-people-{table.key}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv",
        [_("Handle"), _("Name")] + [str(column) for column in table.columns],
        ([row.member.handle, row.member.display_name, *row.figures] for row in table.rows),
    )


@login_required
def people_page(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    found = people.tables(filters.period)
    if request.GET.get("format") == "csv":
        chosen = {table.key: table for table in found}.get(request.GET.get("table", ""))
        if chosen is None:
            raise Http404
        return _people_csv(chosen, filters.period)
    return render(
        request,
        "analytics/people.html",
        filters.context | {"tables": found, "query": query_without_format(request)},
    )


def _require_goals(request: HttpRequest) -> None:
    permissions.require(permissions.may_manage_goals(request.user))


GOAL_COLUMNS = (
    gettext_noop("Metric"),
    gettext_noop("Direction"),
    gettext_noop("Target"),
    gettext_noop("Start"),
    gettext_noop("Deadline"),
    gettext_noop("Owner"),
    gettext_noop("Current value"),
    gettext_noop("Progress (per cent)"),
    gettext_noop("Forecast at the deadline"),
    gettext_noop("Status"),
    gettext_noop("Note"),
)


def _goals_csv(progress: list[goals.Progress]) -> HttpResponse:
    return _csv_response(
        "analytics-goals.csv",
        [_(name) for name in GOAL_COLUMNS],
        (
            [
                item.goal.metric,
                item.goal.get_direction_display(),
                item.goal.target,
                item.goal.start,
                item.goal.deadline,
                f"@{item.goal.owner.handle}" if item.goal.owner else "",
                item.current,
                item.percent,
                item.forecast,
                item.status_label,
                item.goal.note,
            ]
            for item in progress
        ),
    )


@login_required
def goal_list(request: HttpRequest) -> HttpResponse:
    _require_goals(request)
    progress = goals.progress_of(Goal.objects.select_related("owner"))
    if request.GET.get("format") == "csv":
        return _goals_csv(progress)
    return render(request, "analytics/goals.html", {"progress": progress})


def _save(request: HttpRequest, form: GoalForm, goal: Goal | None) -> Goal | None:
    """Create or change the goal through its action; its errors go back on the form."""
    data = form.cleaned_data
    fields = {name: data[name] for name in goal_actions.FIELDS}
    try:
        if goal is None:
            return goal_actions.create_goal(request.user, **fields)
        return goal_actions.update_goal(request.user, goal, **fields)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int | None = None) -> HttpResponse:
    _require_goals(request)
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id) if goal_id else None
    if request.method == "POST":
        form = GoalForm(request.POST)
        if form.is_valid() and _save(request, form, goal) is not None:
            return redirect("analytics:goals")
    elif goal is not None:
        form = GoalForm(initial=GoalForm.initial_for(goal))
    else:
        form = GoalForm(initial={"owner": request.user.handle})
    return render(request, "analytics/goal_form.html", {"form": form, "goal": goal})


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    _require_goals(request)
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id)
    if request.method == "POST":
        goal_actions.delete_goal(request.user, goal)
        return redirect("analytics:goals")
    return render(request, "analytics/goal_delete.html", {"goal": goal})
