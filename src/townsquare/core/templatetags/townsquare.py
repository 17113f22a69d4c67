from django import template
from django.utils.html import format_html

from townsquare.core.models import GuidelinesVersion
from townsquare.core.queries import current_guidelines

register = template.Library()


@register.simple_tag
def guidelines_in_force() -> GuidelinesVersion | None:
    return current_guidelines()


@register.simple_tag
def avatar(member) -> str:
    """A member's picture, or the first letter of their name (lists render many)."""
    profile = member.profile
    if profile.avatar:
        return format_html(
            '<img class="avatar" src="{}" alt="" width="48" height="48">', profile.avatar.url
        )
    return format_html(
        '<span class="avatar" aria-hidden="true">{}</span>', member.display_name[:1].upper()
    )
