"""Snippets and highlighted titles, computed in Python from the stored plain text, so they
are the same on every database.

A word is marked when its analysed term is one of the query's terms: "communities" marks
"community", "społeczności" marks "społecznością", and 社区管理 marks 社区 and 管理 inside
在线社区管理软件. Everything else is escaped, so the result is safe HTML whatever the text.
"""

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from townsquare.search.analysis import term_spans

SNIPPET_LENGTH = 200
# Text shown before the first marked word, so the reader sees what leads up to it.
SNIPPET_LEAD = 40
ELLIPSIS = "…"


def _marked_spans(text: str, wanted: set[str]) -> list[tuple[int, int, str]]:
    if not wanted:
        return []
    return sorted(span for span in term_spans(text, wanted) if span[2] in wanted)


def _merge(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Overlapping spans (Chinese search-mode words) become one mark."""
    merged: list[tuple[int, int]] = []
    for start, end, _term in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, marks: list[tuple[int, int]], start: int, end: int) -> str:
    parts, position = [], start
    for mark_start, mark_end in marks:
        if mark_end <= start or mark_start >= end:
            continue
        mark_start, mark_end = max(mark_start, start), min(mark_end, end)
        parts.append(escape(text[position:mark_start]))
        parts.append(f"<mark>{escape(text[mark_start:mark_end])}</mark>")
        position = mark_end
    parts.append(escape(text[position:end]))
    return "".join(parts)


def highlight(text: str, wanted: set[str]) -> SafeString:
    """The whole text, escaped, with every word of a wanted term marked (titles)."""
    return mark_safe(_render(text, _merge(_marked_spans(text, wanted)), 0, len(text)))  # noqa: S308


def _best_window(spans: list[tuple[int, int, str]], length: int) -> int:
    """The start of the window of ``length`` characters holding the most distinct query
    terms (then the most marked words); windows begin at a marked word."""
    best_start, best_score = spans[0][0], (0, 0)
    right = 0
    for left, (start, _end, _term) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] <= start + length:
            right += 1
        inside = spans[left : right + 1]
        score = (len({term for _s, _e, term in inside}), len(inside))
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def _word_start(text: str, limit: int, position: int) -> int:
    """The start of the first whole word between ``limit`` and ``position``."""
    space = text.find(" ", limit, position)
    return space + 1 if space != -1 else limit


def _word_boundary_forward(text: str, position: int, limit: int) -> int:
    """Move ``position`` back to the last space before it, if one is within ``limit``."""
    if position >= len(text):
        return len(text)
    space = text.rfind(" ", limit, position)
    return space if space != -1 else position


def snippet(text: str, wanted: set[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """About ``length`` characters of the text around its densest run of query terms,
    escaped, with those terms marked; "…" where the text was cut."""
    text = " ".join(text.split())
    spans = _marked_spans(text, wanted)
    if not spans:
        end = _word_boundary_forward(text, length, length // 2)
        tail = ELLIPSIS if end < len(text) else ""
        return mark_safe(escape(text[:end]) + tail)  # noqa: S308
    focus = _best_window(spans, length - SNIPPET_LEAD)
    start = 0 if focus <= SNIPPET_LEAD else _word_start(text, focus - SNIPPET_LEAD, focus)
    end = _word_boundary_forward(text, start + length, start + length // 2)
    html = _render(text, _merge(spans), start, end)
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    return mark_safe(head + html + tail)  # noqa: S308
