from django import template

from townsquare.core.models import GuidelinesVersion
from townsquare.core.queries import current_guidelines

register = template.Library()


@register.simple_tag
def guidelines_in_force() -> GuidelinesVersion | None:
    return current_guidelines()
