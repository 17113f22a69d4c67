"""Small pieces the forum's pages repeat on every row and post, built in Python: a list of
thirty topics or a page of twenty posts renders each of them many times."""

from django import template
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from townsquare.forum.links import url_for

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


@register.simple_tag
def author_link(person, host_name: str = "") -> str:
    """Who wrote something, as others may see it: a named host, the member, or Anonymous.
    Callers pass ``visible_author``, never ``author``, for anything that may be anonymous."""
    if host_name:
        return format_html('<strong class="author">{}</strong>', host_name)
    if person is None:
        return format_html('<span class="author anonymous">{}</span>', _("Anonymous"))
    return format_html(
        '<a class="author" href="{}">{}</a>',
        url_for("member_detail", person.handle),
        person.display_name,
    )


@register.simple_tag
def category_badge(category) -> str:
    parent = f"{category.parent.name} › " if category.parent_id else ""
    return format_html(
        '<a class="category-badge" href="{}" style="--category: {}">{}{}</a>',
        category.get_absolute_url(),
        category.color,
        parent,
        category.name,
    )


@register.simple_tag
def link(name: str, *args) -> str:
    """``{% url %}`` for the forum's hot paths (forum.links)."""
    return url_for(name, *args)
