"""Small pieces the forum's pages repeat on every row and post, built in Python: a list of
thirty topics or a page of twenty posts renders each of them many times."""

from django import template
from django.utils.http import urlencode

from townsquare.forum import html
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
def author_link(person, host_name: str = "", anonymous: bool = True) -> str:
    return html.author_link(person, host_name, anonymous=anonymous)


@register.simple_tag
def category_badge(category) -> str:
    return html.category_badge(category)


@register.simple_tag
def link(name: str, *args) -> str:
    """``{% url %}`` for the forum's hot paths (forum.links)."""
    return url_for(name, *args)


@register.simple_tag
def topic_rows(topics, pinned: bool = False) -> str:
    """The rows of a topic list (forum.rows)."""
    return html.topic_rows(topics, pinned=pinned)


@register.simple_tag
def reaction_bar(post, controls) -> str:
    return html.reaction_bar(post, controls)


@register.simple_tag
def post_article(post, controls) -> str:
    return html.post_article(post, controls)
