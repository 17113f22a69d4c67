"""``GET /api/v1/metrics`` for BI tools (docs/api.md): one metric, a series per day and
the period's figure. Managers and admins only (403 for anyone else)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from townsquare.analytics import metrics
from townsquare.analytics.forms import FilterForm
from townsquare.api.auth import member_auth
from townsquare.core import permissions
from townsquare.core.queries import community_for

router = Router(tags=["analytics"])


class MetricQuery(Schema):
    metric: str = Field(..., max_length=40)
    start: str | None = Field(None, alias="from", max_length=40)
    end: str | None = Field(None, alias="to", max_length=40)
    group: str | None = Field(None, max_length=100, description="A group's slug")
    category: str | None = Field(None, max_length=20, description="A category's id")


class Point(Schema):
    day: date
    value: float


class MetricOut(Schema):
    metric: str
    definition: str
    start: date = Field(..., alias="from")
    end: date = Field(..., alias="to")
    group: str | None
    category: int | None
    total: float | None
    series: list[Point]


@router.get("/metrics", response=MetricOut, auth=member_auth, by_alias=True)
def metric(request: HttpRequest, query: Query[MetricQuery]) -> dict:
    """One metric over a period of UTC days (default: the last 30), per day and in total.
    ``total`` is null, and ``series`` empty, where the metric has no breakdown by the
    group or category asked for; period-only metrics (the 90-9-1 shares) have no series."""
    if not permissions.may_view_analytics(request.user):
        raise PermissionDenied
    chosen = metrics.METRICS.get(query.metric)
    if chosen is None:
        raise ValidationError(
            {"metric": _("Unknown metric. Known: %(names)s.") % {"names": ", ".join(metrics.METRICS)}}  # noqa: E501
        )  # fmt: skip
    params = {
        "from": query.start,
        "to": query.end,
        "group": query.group,
        "category": query.category,
    }
    form = FilterForm(
        {key: value for key, value in params.items() if value},
        user=request.user,
        community=community_for(request),
    )
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    categories = form.categories()
    value = metrics.series(chosen.key, form.period, categories)
    group, category = form.cleaned_data.get("group"), form.cleaned_data.get("category")
    return {
        "metric": chosen.key,
        "definition": str(chosen.definition),
        "from": form.period.start,
        "to": form.period.end,
        "group": group.slug if group else None,
        "category": category.pk if category else None,
        "total": value.total,
        "series": [{"day": day, "value": number} for day, number in value.series],
    }
