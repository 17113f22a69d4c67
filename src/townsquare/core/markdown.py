"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only what is allowed.

Every place members write markdown shares this module: `render()` for guidelines, mission and
goals, and `townsquare.forum.cooking` for posts, which builds on `make_parser()` and ends in the
same `sanitise()`. The allow-lists live here and nowhere else.
"""

import re
from urllib.parse import unquote, urlsplit

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

LINK_REL = "nofollow ugc noopener noreferrer"
URL_SCHEMES = {"http", "https", "mailto"}  # plus relative URLs, which nh3 passes through
IMAGE_SCHEMES = {"", "http", "https"}  # "" is a relative URL

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},  # only "language-xxx", see _filter_attribute
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    # Heading anchors of the guidelines (render_with_anchors); see _filter_attribute.
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
# Exactly the classes our renderers emit (forum.cooking); nothing else survives.
_CLASSES = {
    "a": {"class": {"mention", "hashtag"}},
    "blockquote": {"class": {"quote"}},
    "p": {"class": {"quote-title"}},
}
_IMAGE_ATTRIBUTES = {"img": {"loading": "lazy", "referrerpolicy": "no-referrer"}}

CODE_LANGUAGE = re.compile(r"[a-z0-9+#._-]{1,30}")
_CODE_CLASS = re.compile(r"language-[a-z0-9+#._-]{1,30}")
# What a browser would still run once percent-escapes, whitespace and controls are gone.
_ACTIVE_SCHEME = re.compile(r"(?:javascript|vbscript|data|file):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SAFE_STARTS = ("https://", "http://", "/")
# What heading_anchor makes: letters and digits of any script, "_" and "-". Nothing else
# (no spaces, quotes or "#") survives as an id.
_ANCHOR = re.compile(r"[\w-]{1,80}")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Second line of defence behind nh3's scheme check, and the code-class filter."""
    if name in {"href", "src"}:
        if value.startswith(_SAFE_STARTS):
            return value  # http(s) or the site's own path: nothing to undo
        if _ACTIVE_SCHEME.match(_INVISIBLE.sub("", unquote(value))):
            return None
        if tag == "img":
            try:
                scheme = urlsplit(value).scheme.lower()
            except ValueError:
                return None
            if scheme not in IMAGE_SCHEMES:
                return None
    elif tag == "code" and name == "class":
        return value if _CODE_CLASS.fullmatch(value) else None
    elif name == "id":
        return value if _ANCHOR.fullmatch(value) else None
    return value


_cleaner = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    tag_attribute_values=_CLASSES,
    set_tag_attribute_values=_IMAGE_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
)


def sanitise(html: str) -> str:
    """Keep only the allowed tags, attributes, classes and URLs of rendered markdown."""
    return _cleaner.clean(html)


# --- Bare URLs ---------------------------------------------------------------------------------
# GitHub-flavoured "extended autolinks" for http(s) URLs, as an inline rule. (linkify-it-py does
# the same with a far richer grammar, but costs ~0.1 ms per URL: most of a post's cooking time.)

_SCHEME_BEFORE = re.compile(r"(?:^|[^a-z0-9.+-])(https?)$", re.IGNORECASE)
_URL = re.compile(
    r"https?://(?P<host>[\w-]+(?:\.[\w-]+)*)(?::[0-9]{1,5}(?![0-9]))?(?:[/?#][^\s<>\"`]*)?",
    re.IGNORECASE,
)
_TRAILING_ENTITY = re.compile(r"&[a-z0-9]+;$", re.IGNORECASE)
_TRAILING_PUNCTUATION = "?!.,:;*_~'" + "。，、；：！？…”’»」』】》"  # and CJK sentence ends


def _trim_url(url: str) -> str:
    """Drop trailing punctuation, an unbalanced ")" and an entity-like "&amp;", as GFM does
    (and full-width punctuation, which GFM does not know)."""
    end, unbalanced = len(url), url.count(")") - url.count("(")
    while True:
        last = url[end - 1]
        if last == ";" and (entity := _TRAILING_ENTITY.search(url, max(0, end - 40), end)):
            end = entity.start()
        elif last in _TRAILING_PUNCTUATION:
            end -= 1
        elif last == ")" and unbalanced > 0:
            end, unbalanced = end - 1, unbalanced - 1
        else:
            return url[:end]


def _autolink(state: StateInline, silent: bool) -> bool:
    """Inline rule at ":" after "http"/"https" in the text: link a bare URL."""
    pos = state.pos
    if state.linkLevel > 0 or state.src[pos : pos + 3] != "://":
        return False
    scheme = _SCHEME_BEFORE.search(state.pending[-6:])
    if not scheme:
        return False
    start = pos - len(scheme.group(1))
    match = _URL.match(state.src, start, state.posMax)
    if not match or match.group("host").startswith("-"):
        return False
    url = _trim_url(match.group())
    if len(url) <= len(scheme.group(1)) + 3:
        return False
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[: -len(scheme.group(1))]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": href}
        token.markup, token.info = "linkify", "auto"
        token = state.push("text", "", 0)
        token.content = state.md.normalizeLinkText(url)
        token = state.push("link_close", "a", -1)
        token.markup, token.info = "linkify", "auto"
    state.pos = start + len(url)
    return True


# markdown-it's URL normalisation (mdurl, punycode) costs ~50 us a URL. For the everyday URL
# (ASCII host, only characters it would keep as they are) its result is the URL itself
# (checked by a property test in tests/core/test_markdown.py), so it is skipped for those.
PLAIN_URL = re.compile(
    r"https?://(?!xn--)[a-z0-9-]+(?:\.(?!xn--)[a-z0-9-]+)*(?::[0-9]{1,5})?"
    r"(?:[/?#](?:[a-z0-9\-._~:/?#@!$&'()*+,;=]|%[0-9a-f]{2})*)?",
    re.IGNORECASE,
)


class _Parser(MarkdownIt):
    def normalizeLink(self, url: str) -> str:  # markdown-it's names
        return url if PLAIN_URL.fullmatch(url) else super().normalizeLink(url)

    def normalizeLinkText(self, link: str) -> str:
        if "%" not in link and PLAIN_URL.fullmatch(link):
            return link
        return super().normalizeLinkText(link)


def make_parser() -> MarkdownIt:
    """A new markdown-it parser with the house configuration.

    CommonMark without raw HTML, plus tables and strikethrough, plus bare http(s) URLs as links
    (GFM's rules for where a URL ends). Scheme-less guesses ("README.md", "bob@x.org") are not
    linked.
    """
    md = _Parser("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.at("linkify", _autolink)
    md.inline.ruler.enable("linkify")
    return md


_md = make_parser()


def render(source: str) -> str:
    """Render member-written markdown to HTML that is safe to show as is."""
    return sanitise(_md.render(source))


# --- Heading anchors (the guidelines: /guidelines#be-kind) ------------------------------------

ANCHOR_MAX = 80


def heading_anchor(title: str) -> str:
    """The anchor of a heading: its words in lower case joined by "-", in any script
    ("Be kind" → "be-kind", "Bądź uprzejmy" → "bądź-uprzejmy", "友善待人" → "友善待人")."""
    return slugify(title, allow_unicode=True)[:ANCHOR_MAX].strip("-_") or "section"


def _anchored(tokens: list[Token]) -> list[tuple[str, str]]:
    """Give each heading of the token stream a stable, unique ``id`` (a repeated title gets
    "-2", "-3" ...); returns (anchor, title) of each heading in order."""
    seen: set[str] = set()
    sections = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        title = "".join(
            child.content
            for child in inline.children or []
            if child.type in {"text", "code_inline"}
        ).strip()
        base = anchor = heading_anchor(title)
        number = 1
        while anchor in seen:
            number += 1
            anchor = f"{base[: ANCHOR_MAX - 1 - len(str(number))]}-{number}"
        seen.add(anchor)
        token.attrSet("id", anchor)
        sections.append((anchor, title))
    return sections


def render_with_anchors(source: str) -> str:
    """``render``, with an ``id`` on every heading so a link can point at a section."""
    tokens = _md.parse(source)
    _anchored(tokens)
    return sanitise(_md.renderer.render(tokens, _md.options, {}))


def heading_sections(source: str) -> list[tuple[str, str]]:
    """(anchor, title) of each heading of ``source``, as ``render_with_anchors`` names them."""
    return _anchored(_md.parse(source))
