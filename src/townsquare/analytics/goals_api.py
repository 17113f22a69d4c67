"""``GET /api/v1/goals`` and ``/api/v1/goals/{id}`` (docs/api.md): the community's goals
with progress and forecast. Managers and admins only (403 for anyone else)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema

from townsquare.analytics import goals
from townsquare.analytics.models import Goal
from townsquare.api.auth import member_auth
from townsquare.core import permissions

router = Router(tags=["analytics"])


class GoalOut(Schema):
    id: int
    metric: str
    definition: str | None
    direction: str
    target: float
    start: date
    deadline: date
    owner: str | None
    note: str
    window_from: date | None
    window_to: date | None
    current: float | None
    progress: float | None
    forecast: float | None
    status: str
    on_track: bool | None


def _out(item: goals.Progress) -> dict:
    goal = item.goal
    return {
        "id": goal.pk,
        "metric": goal.metric,
        "definition": str(item.metric.definition) if item.metric else None,
        "direction": goal.direction,
        "target": float(goal.target),
        "start": goal.start,
        "deadline": goal.deadline,
        "owner": goal.owner.handle if goal.owner else None,
        "note": goal.note,
        "window_from": item.window.start if item.window else None,
        "window_to": item.window.end if item.window else None,
        "current": item.current,
        "progress": item.percent,
        "forecast": item.forecast,
        "status": item.status,
        "on_track": item.on_track,
    }


def _require(request: HttpRequest) -> None:
    if not permissions.may_manage_goals(request.user):
        raise PermissionDenied


@router.get("/goals", response=list[GoalOut], auth=member_auth)
def goal_list(request: HttpRequest) -> list[dict]:
    """Every goal, the nearest deadline first, with its current value, progress towards
    the target in per cent, the forecast at the deadline and its status."""
    _require(request)
    return [_out(item) for item in goals.progress_of(Goal.objects.select_related("owner"))]


@router.get("/goals/{goal_id}", response=GoalOut, auth=member_auth)
def goal_detail(request: HttpRequest, goal_id: int) -> dict:
    _require(request)
    goal = Goal.objects.select_related("owner").filter(pk=goal_id).first()
    if goal is None:
        raise Http404
    return _out(goals.progress_of([goal])[0])
