"""Addresses of the forum's objects, each route reversed once rather than once per link.

A topic page links each of its twenty posts a dozen ways; ``reverse()`` costs tens of
microseconds a call, which made URLs a large part of rendering a page. A route is reversed
once with placeholder arguments, and each link fills in the real ones.
"""

import functools
from urllib.parse import quote

from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted
# Never real ids: large, distinct per position, digits only (they pass any int converter).
_PLACEHOLDERS = ("2147480001", "2147480002")


@functools.lru_cache(maxsize=128)
def _route(name: str, arity: int, prefix: str) -> tuple[str, ...]:
    """The route's address cut at its arguments: fixed parts between the placeholders."""
    url = reverse(name, args=_PLACEHOLDERS[:arity])
    parts: list[str] = []
    for placeholder in _PLACEHOLDERS[:arity]:
        head, _, url = url.partition(placeholder)
        parts.append(head)
    parts.append(url)
    return tuple(parts)


def url_for(name: str, *args: int | str) -> str:
    """``reverse(name, args=args)`` at the cost of a string join. Text arguments are quoted
    as ``reverse`` quotes them; none may contain a slash (the routes take slugs and ids)."""
    parts = _route(name, len(args), get_script_prefix())
    out = [parts[0]]
    for value, part in zip(args, parts[1:], strict=True):
        text = str(value) if isinstance(value, int) else quote(value, safe=_SAFE)
        out += [text, part]
    return "".join(out)
