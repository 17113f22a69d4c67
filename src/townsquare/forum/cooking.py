"""Cooking: a post's markdown becomes safe HTML plus what the forum needs to know about it.

Built on `core.markdown` (same parser configuration, same sanitiser) with forum syntax added as
markdown-it rules, so nothing of it applies inside code:

- `@handle` mentions and `#tag` hashtags (a core rule: it sees text only, never code or links),
  linked only when the resolvers say the member or tag exists;
- Discourse-style `[quote="alice, post:3, topic:42"] ... [/quote]` blocks (a block rule, nests);
- Discourse-style `[poll ...] ... [/poll]` blocks (a block rule), removed from the HTML and
  returned as `PollSpec`s for the page to render.

One `cook()` parses once, calls each resolver at most once, renders and sanitises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import validate_host
from django.utils.translation import gettext as _
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from townsquare.core import markdown

MENTION_URL = "/u/{handle}/"
HASHTAG_URL = "/tags/{name}/"
POST_URL = "/p/{topic}/{post}/"  # forum.urls: post_link

HANDLE_MIN, HANDLE_MAX = 3, 30
TAG_MAX = 40
POLL_MAX_PER_POST = 5
POLL_MIN_OPTIONS, POLL_MAX_OPTIONS = 2, 20
POLL_OPTION_MAX_CHARS = 200
POLL_DEFAULT_NAME = "poll"
POLL_TYPES = {"regular": "single", "single": "single", "multiple": "multiple"}
_DB_INT_MAX = 2**31 - 1

HandleResolver = Callable[[set[str]], dict[str, str]]
TagResolver = Callable[[set[str]], set[str]]


@dataclass(frozen=True)
class PollSpec:
    """A poll as written in a post; the action layer stores it and the page renders it."""

    name: str  # "poll" unless name=... given; unique within one post
    question: str  # plain text, may be ""
    kind: str  # "single" | "multiple"
    options: tuple[str, ...]  # 2..20 distinct (casefold), each 1..200 chars, plain text
    closes_at: datetime | None  # aware, UTC
    max_choices: int | None  # only for multiple; 2..len(options)


@dataclass(frozen=True)
class QuoteRef:
    """A post quoted with `[quote="name, post:N, topic:M"]`."""

    topic_id: int
    post_number: int


@dataclass(frozen=True)
class Cooked:
    """The result of cooking one post."""

    html: str  # safe HTML, polls removed (rendered separately by the page)
    text: str  # plain text without quoted text and without markup: for search and excerpts
    mentions: frozenset[str]  # handles (as stored, from resolve_handles' values) that were linked
    hashtags: frozenset[str]  # tag names that were linked
    quotes: tuple[QuoteRef, ...]  # in order, de-duplicated
    polls: tuple[PollSpec, ...]
    upload_paths: frozenset[str]  # e.g. "uploads/2026/11/ab12.webp", from links and images


# --- Mentions and hashtags -------------------------------------------------------------------


def _is_word(char: str) -> bool:
    """A letter, digit or combining mark of any script, or "_"."""
    return char == "_" or unicodedata.category(char)[0] in "LNM"


_HANDLE_RUN = re.compile(r"[\w.-]*")  # \w: letters and digits of any script, and "_"
_TAG_RUN = re.compile(r"[\w-]*")


def _run(pattern: re.Pattern, text: str, start: int) -> int:
    """End of the name characters from start; combining marks (which \\w lacks) included."""
    end = pattern.match(text, start).end()
    while end < len(text) and unicodedata.category(text[end])[0] == "M":
        end = pattern.match(text, end + 1).end()
    return end


def _find_names(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, "@" or "#", key) of every mention and hashtag candidate in plain text.

    key is the handle casefolded, or the tag name lowercased, after NFKC normalisation (as
    accounts.validators.normalize_handle does), so a decomposed "é" finds its member.
    """
    found = []
    for match in _NAME_START.finditer(text):
        at, sign = match.start(), match.group()
        if at and (_is_word(text[at - 1]) or text[at - 1] in "@#"):
            continue  # bob@example.com, C#, a#b, ##
        if sign == "@":
            end = _run(_HANDLE_RUN, text, at + 1)
            handle = text[at + 1 : end].rstrip(".-")  # "thanks @alice." mentions alice
            if HANDLE_MIN <= len(handle) <= HANDLE_MAX and text[end : end + 1] != "@":
                key = unicodedata.normalize("NFKC", handle).casefold()
                found.append((at, at + 1 + len(handle), sign, key))
        else:
            end = _run(_TAG_RUN, text, at + 1)
            name = text[at + 1 : end]
            if 1 <= len(name) <= TAG_MAX and text[end : end + 1] != "#":
                found.append((at, end, sign, unicodedata.normalize("NFKC", name).lower()))
    return found


_NAME_START = re.compile("[@#]")


def _name_link(href: str, css_class: str, label: str) -> Token:
    """One token for a linked name (cheaper than link_open, text, link_close)."""
    return Token("name_link", "a", 0, attrs={"href": href}, markup=css_class, content=label)


def _render_name_link(self: Any, tokens: list[Token], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    href = escapeHtml(str(token.attrs["href"]))
    return f'<a href="{href}" class="{token.markup}">{escapeHtml(token.content)}</a>'


def _text_tokens(children: list[Token]) -> list[tuple[int, Token]]:
    """The text tokens outside links, with their index: where names may be linked."""
    texts, in_link = [], 0
    for index, child in enumerate(children):
        if child.type == "link_open":
            in_link += 1
        elif child.type == "link_close":
            in_link -= 1
        elif child.type == "text" and not in_link and _NAME_START.search(child.content):
            texts.append((index, child))
    return texts


def _link_names(state: StateCore) -> None:
    """Core rule: link @mentions and #hashtags that exist. One resolver call of each kind.

    Runs before text_join, so an escaped `\\@alice` (a separate text_special token) stays text.
    """
    env = state.env
    pending: list[tuple[Token, int, Token, list[tuple[int, int, str, str]]]] = []
    handles: set[str] = set()
    tags: set[str] = set()
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        for index, child in _text_tokens(block.children):
            if names := _find_names(child.content):
                pending.append((block, index, child, names))
                for _start, _end, sign, key in names:
                    (handles if sign == "@" else tags).add(key)
    known_handles = env["resolve_handles"](handles) if handles else {}
    known_tags = env["resolve_tags"](tags) if tags else set()
    if not (known_handles or known_tags):
        return
    # Right to left, so the indexes of earlier tokens in the same inline block stay valid.
    for block, index, child, names in reversed(pending):
        replacement, position, text = [], 0, child.content
        for start, end, sign, key in names:
            if sign == "@" and key in known_handles:
                handle = known_handles[key]
                env["mentions"].add(handle)
                href = MENTION_URL.format(handle=quote(handle, safe=""))
                css_class = "mention"
            elif sign == "#" and key in known_tags:
                env["hashtags"].add(key)
                href = HASHTAG_URL.format(name=quote(key, safe=""))
                css_class = "hashtag"
            else:
                continue
            if start > position:
                replacement.append(Token("text", "", 0, content=text[position:start]))
            replacement.append(_name_link(href, css_class, text[start:end]))
            position = end
        if replacement:
            if position < len(text):
                replacement.append(Token("text", "", 0, content=text[position:]))
            block.children[index : index + 1] = replacement


# --- Quotes ----------------------------------------------------------------------------------

_QUOTE_OPEN = re.compile(r'\[quote(?:=(?:"([^"\n]*)"|([^\]\n]*)))?\][ \t]*$', re.IGNORECASE)
_QUOTE_CLOSE = re.compile(r"\[/quote\][ \t]*$", re.IGNORECASE)
_QUOTE_PARAM = re.compile(r"([a-z_]+)\s*:\s*(\S*)", re.IGNORECASE)
_FENCE = re.compile(r"(`{3,}|~{3,})")


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _find_close(
    state: StateBlock, start: int, end: int, opening: re.Pattern | None, closing: re.Pattern
) -> int | None:
    """The line closing the block opened on `start`, skipping nested blocks and fenced code.

    Nesting deeper than markdown-it renders (maxNesting) counts as unterminated, which also
    keeps a flood of openers from costing more than a few passes over the text.
    """
    last_closers: dict[re.Pattern, int] = state.env["last_closers"]
    if closing not in last_closers:  # once per cook: where is the last closing marker?
        last_closers[closing] = max(
            (found.start() for found in _CLOSING_MARKER[closing].finditer(state.src)), default=-1
        )
    if last_closers[closing] < state.eMarks[start]:
        return None  # no closer after this line: a flood of openers costs nothing
    depth, fence, max_depth = 1, "", state.md.options.maxNesting
    for line in range(start + 1, end):
        text = _line(state, line)
        if text and state.sCount[line] < state.blkIndent:
            return None  # left the container (list item) the block started in
        if state.is_code_block(line):
            continue
        if fence:
            closing_fence = text.rstrip()
            if closing_fence.startswith(fence) and closing_fence == fence[0] * len(closing_fence):
                fence = ""
            continue
        if match := _FENCE.match(text):
            fence = match.group(1)
        elif opening and opening.match(text):
            depth += 1
            if depth > max_depth:
                return None
        elif closing.match(text):
            depth -= 1
            if depth == 0:
                return line
    return None


def _parse_quote_params(raw: str) -> tuple[str, QuoteRef | None]:
    """("alice", QuoteRef(42, 3)) from `alice, post:3, topic:42` (Discourse's order or any)."""
    name, values = "", {}
    for index, part in enumerate(raw.split(",")):
        part = part.strip()
        if match := _QUOTE_PARAM.fullmatch(part):
            values[match.group(1).lower()] = match.group(2)
        elif index == 0:
            name = part
    topic, post = values.get("topic", ""), values.get("post", "")
    if _is_id(topic) and _is_id(post):
        return name, QuoteRef(topic_id=int(topic), post_number=int(post))
    return name, None


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and 0 < int(value) <= _DB_INT_MAX


def _quote_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule for `[quote=...]` ... `[/quote]`; unterminated ones stay text."""
    if state.is_code_block(start) or not _line(state, start).startswith("["):
        return False
    opening = _QUOTE_OPEN.match(_line(state, start))
    if not opening:
        return False
    close = _find_close(state, start, end, _QUOTE_OPEN, _QUOTE_CLOSE)
    if close is None:
        return False
    if silent:
        return True
    name, ref = _parse_quote_params(opening.group(1) or opening.group(2) or "")
    token = state.push("quote_open", "blockquote", 1)
    token.markup, token.block, token.map = "[quote]", True, [start, close + 1]
    token.meta = {"name": name, "ref": ref}
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "blockquote", close
    state.env["quote_depth"] += 1
    state.md.block.tokenize(state, start + 1, close)
    state.env["quote_depth"] -= 1
    state.parentType, state.lineMax = old_parent, old_max
    token = state.push("quote_close", "blockquote", -1)
    token.markup, token.block = "[/quote]", True
    state.line = close + 1
    return True


def _render_quote_open(self: Any, tokens: list[Token], index: int, options: Any, env: Any) -> str:
    name, ref = tokens[index].meta["name"], tokens[index].meta["ref"]
    html = '<blockquote class="quote">\n'
    if ref:
        href = POST_URL.format(topic=ref.topic_id, post=ref.post_number)
        label = escapeHtml(name) if name else f"#{ref.post_number}"
        html += f'<p class="quote-title"><a href="{href}">{label}</a>:</p>\n'
    elif name:
        html += f'<p class="quote-title">{escapeHtml(name)}:</p>\n'
    return html


# --- Polls -----------------------------------------------------------------------------------

_POLL_OPEN = re.compile(r"\[poll(\s[^\]\n]*)?\][ \t]*$", re.IGNORECASE)
_POLL_CLOSE = re.compile(r"\[/poll\][ \t]*$", re.IGNORECASE)
_POLL_PARAM = re.compile(r'([a-z_]+)=(?:"([^"]*)"|(\S+))', re.IGNORECASE)
_POLL_NAME = re.compile(r"[a-z0-9_-]{1,40}")
_POLL_QUESTION = re.compile(r"#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_POLL_OPTION = re.compile(r"(?:[*+-]|\d{1,9}[.)])(?:[ \t]+(.*))?$")


def _poll_error(name: str, problem: str) -> ValidationError:
    if name != POLL_DEFAULT_NAME:
        problem = _("Poll “%(name)s”: %(problem)s") % {"name": name, "problem": problem}
    return ValidationError({"body": problem})


def _parse_close(name: str, value: str) -> datetime:
    try:
        closes_at = datetime.fromisoformat(value)
    except ValueError:
        raise _poll_error(
            name,
            _("The close date “%(value)s” is not a date and time like 2026-12-01T18:00Z.")
            % {"value": value},
        ) from None
    if closes_at.tzinfo is None:
        closes_at = closes_at.replace(tzinfo=UTC)
    return closes_at.astimezone(UTC)


def _parse_poll(params: str, lines: list[str]) -> PollSpec:
    """A PollSpec from the `[poll ...]` parameters and the lines between it and `[/poll]`."""
    values = {m[1].lower(): m[2] or m[3] or "" for m in _POLL_PARAM.finditer(params)}
    name = values.get("name", POLL_DEFAULT_NAME)
    if not _POLL_NAME.fullmatch(name):
        raise ValidationError(
            {
                "body": _(
                    "The poll name “%(value)s” is not allowed: use up to 40 lowercase letters, "
                    "digits, “-” or “_”."
                )
                % {"value": name}
            }
        )
    kind = POLL_TYPES.get(values.get("type", "regular").lower())
    if kind is None:
        raise _poll_error(
            name,
            _("The poll type “%(value)s” is unknown; use type=single or type=multiple.")
            % {"value": values["type"]},
        )
    closes_at = _parse_close(name, values["close"]) if "close" in values else None

    question: list[str] = []
    options: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if option := _POLL_OPTION.match(line):
            options.append(" ".join((option.group(1) or "").split()))
        elif options:
            raise _poll_error(
                name, _("Put the question before the options, and nothing after them.")
            )
        elif heading := _POLL_QUESTION.match(line):
            question.append(heading.group(1) or "")
        else:
            question.append(line)

    seen: set[str] = set()
    for option in options:
        if not option:
            raise _poll_error(name, _("An option is empty."))
        if len(option) > POLL_OPTION_MAX_CHARS:
            raise _poll_error(
                name,
                _("The option “%(option)s…” is longer than %(max)d characters.")
                % {"option": option[:30], "max": POLL_OPTION_MAX_CHARS},
            )
        if option.casefold() in seen:
            raise _poll_error(
                name, _("The option “%(option)s” is listed twice.") % {"option": option}
            )
        seen.add(option.casefold())
    if len(options) < POLL_MIN_OPTIONS:
        raise _poll_error(
            name,
            _("A poll needs at least %(min)d options, written as a list (* option).")
            % {"min": POLL_MIN_OPTIONS},
        )
    if len(options) > POLL_MAX_OPTIONS:
        raise _poll_error(
            name, _("A poll can have at most %(max)d options.") % {"max": POLL_MAX_OPTIONS}
        )

    max_choices = None
    if "max" in values:
        raw_max = values["max"]
        if kind != "multiple":
            raise _poll_error(name, _("Only polls with type=multiple can have max=."))
        if not (raw_max.isascii() and raw_max.isdigit()) or not (2 <= int(raw_max) <= len(options)):
            raise _poll_error(
                name,
                _("The value max=%(value)s is out of range: use a number from 2 to %(count)d.")
                % {"value": raw_max, "count": len(options)},
            )
        max_choices = int(raw_max)
    return PollSpec(
        name=name,
        question=" ".join(" ".join(question).split()),
        kind=kind,
        options=tuple(options),
        closes_at=closes_at,
        max_choices=max_choices,
    )


def _poll_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule for `[poll ...]` ... `[/poll]`: a hidden "poll" token carrying a PollSpec.

    Malformed polls raise ValidationError. Inside a quote a poll belongs to the quoted post: it
    is dropped unchecked.
    """
    if state.is_code_block(start) or not _line(state, start).startswith("["):
        return False
    opening = _POLL_OPEN.match(_line(state, start))
    if not opening:
        return False
    in_quote = state.env["quote_depth"] > 0
    close = _find_close(state, start, end, None, _POLL_CLOSE)  # polls do not nest
    if silent:
        return close is not None or not in_quote
    if close is None:
        if in_quote:
            return False
        raise ValidationError(
            {"body": _("A poll is not closed: add [/poll] on its own line after its options.")}
        )
    state.line = close + 1
    if in_quote:
        return True
    polls: list[PollSpec] = state.env["polls"]
    if len(polls) >= POLL_MAX_PER_POST:
        raise ValidationError(
            {"body": _("A post can have at most %(max)d polls.") % {"max": POLL_MAX_PER_POST}}
        )
    spec = _parse_poll(opening.group(1) or "", [_line(state, n) for n in range(start + 1, close)])
    if any(poll.name == spec.name for poll in polls):
        raise ValidationError(
            {
                "body": _(
                    "Two polls are named “%(name)s”: give each poll its own name, "
                    "e.g. [poll name=lunch]."
                )
                % {"name": spec.name}
            }
        )
    polls.append(spec)
    token = state.push("poll", "", 0)
    token.block, token.map, token.meta = True, [start, close + 1], {"poll": spec}
    return True


_CLOSING_MARKER = {
    _QUOTE_CLOSE: re.compile(r"\[/quote\]", re.IGNORECASE),
    _POLL_CLOSE: re.compile(r"\[/poll\]", re.IGNORECASE),
}


# --- Code, links and images ------------------------------------------------------------------


def _upload_path(url: str) -> str | None:
    """The "uploads/..." path of a link to one of our uploads, relative or on our own host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.scheme or parts.netloc) and (
        parts.scheme not in {"http", "https", ""}
        or not validate_host(parts.hostname or "", settings.ALLOWED_HOSTS)
    ):
        return None
    path = unquote(parts.path)
    prefix = urlsplit(settings.MEDIA_URL).path
    if not path.startswith(prefix + "uploads/"):
        return None
    path = path[len(prefix) :]
    segments = path.split("/")
    if any(segment in {"", ".", ".."} for segment in segments) or not path.isprintable():
        return None
    return path


def _tidy_tokens(state: StateCore) -> None:
    """Core rule: sane fence languages only; collect upload paths from links and images."""
    uploads: set[str] = state.env["uploads"]
    for token in state.tokens:
        if token.type == "fence":
            language = token.info.split(maxsplit=1)[0].lower() if token.info.strip() else ""
            token.info = language if markdown.CODE_LANGUAGE.fullmatch(language) else ""
        elif token.type == "inline" and token.children:
            for child in token.children:
                url = child.attrs.get("href") if child.type == "link_open" else None
                if child.type == "image":
                    url = child.attrs.get("src")
                if isinstance(url, str) and "uploads/" in url and (path := _upload_path(url)):
                    uploads.add(path)


# --- Plain text ------------------------------------------------------------------------------


def _inline_text(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in {"text", "text_special", "code_inline", "name_link"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append("\n")
        elif child.type == "image" and child.children:
            parts.append(_inline_text(child.children))
    return "".join(parts)


def _plain_text(tokens: list[Token]) -> str:
    """The post's text, block by block, leaving out quoted text."""
    parts, quote_depth = [], 0
    for token in tokens:
        if token.type == "quote_open":
            quote_depth += 1
        elif token.type == "quote_close":
            quote_depth -= 1
        elif quote_depth:
            continue
        elif token.type == "inline" and token.children:
            parts.append(_inline_text(token.children))
        elif token.type in {"fence", "code_block"}:
            parts.append(token.content.rstrip("\n"))
        elif token.type == "poll":
            spec: PollSpec = token.meta["poll"]
            parts.append("\n".join([spec.question, *spec.options]).strip())
    return "\n".join(part for part in parts if part)


# --- The parser ------------------------------------------------------------------------------

_md = markdown.make_parser()
_block_alt = {"alt": ["paragraph", "reference", "blockquote", "list"]}
_md.block.ruler.before("table", "quote", _quote_rule, _block_alt)
_md.block.ruler.before("table", "poll", _poll_rule, _block_alt)
_md.core.ruler.before("text_join", "names", _link_names)
_md.core.ruler.before("text_join", "tidy", _tidy_tokens)
_md.add_render_rule("quote_open", _render_quote_open)
_md.add_render_rule("quote_close", lambda self, tokens, index, options, env: "</blockquote>\n")
_md.add_render_rule("name_link", _render_name_link)
_md.add_render_rule("poll", lambda self, tokens, index, options, env: "")


def cook(source: str, *, resolve_handles: HandleResolver, resolve_tags: TagResolver) -> Cooked:
    """Cook a post's markdown.

    resolve_handles gets the casefolded candidate handles and returns {casefolded: handle} for
    members that exist; resolve_tags gets lowercased candidate tag names and returns those that
    exist. Each is called at most once, and not at all without candidates.

    Raises ValidationError({"body": ...}) for a malformed poll.
    """
    env: dict[str, Any] = {
        "resolve_handles": resolve_handles,
        "resolve_tags": resolve_tags,
        "mentions": set(),
        "hashtags": set(),
        "uploads": set(),
        "polls": [],
        "quote_depth": 0,
        "last_closers": {},
    }
    tokens = _md.parse(source, env)
    quotes = dict.fromkeys(
        token.meta["ref"] for token in tokens if token.type == "quote_open" and token.meta["ref"]
    )
    return Cooked(
        html=markdown.sanitise(_md.renderer.render(tokens, _md.options, env)),
        text=_plain_text(tokens),
        mentions=frozenset(env["mentions"]),
        hashtags=frozenset(env["hashtags"]),
        quotes=tuple(quotes),
        polls=tuple(env["polls"]),
        upload_paths=frozenset(env["uploads"]),
    )


# --- Excerpts --------------------------------------------------------------------------------


def _is_wide(char: str) -> bool:
    """Chinese, Japanese and Korean characters: a line may break between any two of them."""
    return unicodedata.east_asian_width(char) in {"W", "F"}


def excerpt(text: str, length: int = 200) -> str:
    """At most `length` characters of text, whitespace collapsed, cut at a word boundary (or
    between any two CJK characters) and ending in "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    if length < 2:
        return "…"[:length]
    limit = cut = length - 1  # room for the ellipsis
    if text[limit] != " ":
        for position in range(limit, 0, -1):
            if text[position] == " " or _is_wide(text[position]) or _is_wide(text[position - 1]):
                cut = position
                break
    return text[:cut].rstrip(" ,.;:-–—") + "…"
