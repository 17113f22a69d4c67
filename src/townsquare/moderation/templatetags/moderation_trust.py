from django import template

from townsquare.core import permissions
from townsquare.moderation.trust import Progress, progress

register = template.Library()


@register.simple_tag(takes_context=True)
def trust_progress(context: template.Context, member) -> Progress | None:
    """A member's trust level and what the next one asks, for the member and for staff."""
    if not permissions.may_view_trust_level(context["user"], member):
        return None
    return progress(member)
