from django import template
from django.http import HttpRequest

from townsquare.core import permissions
from townsquare.messaging import queries

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_conversations(context: template.Context) -> int:
    """The header's count: one indexed query, once per request."""
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    if not hasattr(request, "_unread_conversations"):
        request._unread_conversations = queries.unread_count(request.user)
    return request._unread_conversations


@register.simple_tag(takes_context=True)
def has_blocked(context: template.Context, member) -> bool:
    """Whether the viewer blocked this member (the profile's Block/Unblock button)."""
    return permissions.has_blocked(context["user"], member)
