"""``{% nps_prompt %}`` (home and latest pages) and ``{% csat_prompt topic %}`` (a topic
page): the survey panels, shown only to the members they are due for."""

from django import template

from townsquare.core.queries import community_for
from townsquare.surveys import queries
from townsquare.surveys.forms import AnswerForm
from townsquare.surveys.models import Kind

register = template.Library()


@register.inclusion_tag("surveys/_nps_prompt.html", takes_context=True)
def nps_prompt(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    due = user is not None and user.is_authenticated and queries.nps_prompt_due(user)
    return {
        "due": due,
        "form": AnswerForm(kind=Kind.NPS) if due else None,
        "community": context.get("community"),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "/",
    }


@register.inclusion_tag("surveys/_csat_prompt.html", takes_context=True)
def csat_prompt(context: template.Context, topic) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    due = (
        user is not None
        and user.is_authenticated
        and queries.csat_prompt_due(user, community_for(request), topic)
    )
    return {
        "due": due,
        "form": AnswerForm(kind=Kind.CSAT) if due else None,
        "topic": topic,
        "csrf_token": context.get("csrf_token"),
        "next": topic.get_absolute_url(),
    }
