"""The support page (/manage/analytics/support/) and the analytics settings page
(/manage/analytics/settings/)."""

import csv
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from townsquare.analytics import actions, charts, metrics, support
from townsquare.analytics.forms import AnalyticsSettingsForm
from townsquare.analytics.periods import Period, Row
from townsquare.analytics.queries import analytics_settings
from townsquare.analytics.views import (
    _number,
    analytics_filters,
    csv_table,
    query_without_format,
)
from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.forum.models import Category
from townsquare.moderation.audit_log import safe_cell


@dataclass
class CategoryLine:
    """A line of the per-category table: a category's figures in the period."""

    pk: int
    name: str
    figures: support.Summary


def _headline(now: support.Summary, before: support.Summary, currency: str) -> list[Row]:
    rows = []
    for metric in metrics.METRICS.values():
        if metric.section != "support":
            continue
        attribute = support.FIGURES[metric.key]
        label = str(metric.label)
        if metric.key == "support_cost_saved":
            label = f"{label} ({currency})"
        rows.append(
            Row(
                label,
                getattr(now, attribute),
                getattr(before, attribute),
                str(metric.definition),
                metric.percent,
                metric.key,
            )
        )
    return rows


def _per_day_chart(figures: support.PeriodFigures) -> charts.Chart:
    return charts.line_chart(
        [
            charts.Series(_("Questions asked"), sorted(figures.asked_on.items())),
            charts.Series(_("Questions solved"), sorted(figures.solved_on.items())),
        ],
        title=_("Questions asked and solved per day"),
        description=_(
            "Questions asked on each day, and questions whose answer was accepted on "
            "each day (whenever they were asked)."
        ),
        y_label=_("Questions"),
    )


def _categories(figures: dict[int, support.Summary]) -> list[CategoryLine]:
    """The per-category table, busiest first (one query: the names)."""
    names = dict(Category.objects.filter(pk__in=figures).values_list("pk", "name"))
    lines = [
        CategoryLine(pk, names.get(pk, _("Category %(id)s") % {"id": pk}), summary)
        for pk, summary in figures.items()
    ]
    return sorted(lines, key=lambda line: (-line.figures.asked, line.name))


def _category_csv(lines: list[CategoryLine], period: Period) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # spreadsheets then read Chinese and Polish right
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Category"),
            _("Questions asked"),
            _("Answer rate (per cent)"),
            _("Solved rate (per cent)"),
            _("Median time to first response (hours)"),
            _("Median time to solution (hours)"),
            _("Solved by members"),
        ]
    )
    for line in lines:
        f = line.figures
        writer.writerow(
            [
                safe_cell(line.name),
                f.asked,
                _number(f.answered_share),
                _number(f.solved_share),
                _number(f.first_response_hours),
                _number(f.solution_hours),
                f.solved_by_members,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"analytics-support-categories-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def support_page(request: HttpRequest) -> HttpResponse:
    """Questions asked in the period and how they were answered, against the previous
    period, from the daily per-category sums: one query per period (the headline, the
    table and the chart of the period; the headline of the previous one), one row per
    day and category whatever the number of questions."""
    filters = analytics_filters(request)
    period, previous = filters.period, filters.period.previous()
    settings = analytics_settings()
    cost = settings.cost_per_ticket
    figures = support.period_figures(period, filters.categories, cost)
    before = support.summary(previous, filters.categories, cost)
    headline = _headline(figures.whole, before, settings.currency)
    categories = _categories(figures.by_category)
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "categories":
            return _category_csv(categories, period)
        return csv_table(request, {"support": headline}, period)
    return render(
        request,
        "analytics/support.html",
        filters.context
        | {
            "headline": headline,
            "chart": _per_day_chart(figures),
            "categories": categories,
            "settings": settings,
            "query": query_without_format(request),
        },
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_change_analytics_settings(request.user))
    form = AnalyticsSettingsForm(request.POST or None, instance=analytics_settings())
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_settings(request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The analytics settings are saved."))
            return redirect("analytics:settings")
    return render(request, "analytics/settings.html", {"form": form})
