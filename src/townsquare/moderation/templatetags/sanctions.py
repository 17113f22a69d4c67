"""``{% silenced_notice %}``: where a silenced member would write (the reply box, the new
topic page, a conversation, a refused page), say until when and that they can read."""

from django import template

from townsquare.core import permissions
from townsquare.moderation import notices
from townsquare.moderation.models import Notice

register = template.Library()


@register.inclusion_tag("moderation/_silenced.html", takes_context=True)
def silenced_notice(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not permissions.is_silenced(user):
        return {"silenced_message": ""}
    return {"silenced_message": permissions.silenced_message(user)}


@register.simple_tag
def notice_title(notice: Notice) -> str:
    return notices.describe(notice)
