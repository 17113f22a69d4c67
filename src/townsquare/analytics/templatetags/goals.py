"""``{% goals_overview %}``: the goals' small table at the bottom of the analytics
overview (two queries: the goals with their owners, and the daily figures they read)."""

from django import template

from townsquare.analytics import goals
from townsquare.analytics.models import Goal
from townsquare.core import permissions

register = template.Library()


@register.inclusion_tag("analytics/_goals_overview.html", takes_context=True)
def goals_overview(context: template.Context) -> dict:
    request = context["request"]
    if not permissions.may_manage_goals(request.user):
        return {"shown": False}
    return {
        "shown": True,
        "progress": goals.progress_of(Goal.objects.select_related("owner")),
        "request": request,
    }
