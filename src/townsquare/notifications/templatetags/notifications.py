from django import template

from townsquare.notifications.models import MemberMute

register = template.Library()


@register.simple_tag(takes_context=True)
def has_muted(context: template.Context, member) -> bool:
    """Whether the viewer muted this member (the profile's Mute/Unmute button)."""
    user = context["user"]
    if not user.is_authenticated or user.pk == member.pk:
        return False
    return MemberMute.objects.filter(user=user, muted=member).exists()
