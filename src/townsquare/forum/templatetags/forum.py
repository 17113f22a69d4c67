from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def list_url(context, **changes) -> str:
    """The current list's address with some query parameters changed (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(sorted(params.items()))
    return f"?{query}" if query else context["request"].path
