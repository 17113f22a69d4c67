from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from townsquare.core.markdown import PLAIN_URL, render, sanitise
from townsquare.forum.cooking import cook


class _Elements(HTMLParser):
    """The real elements and attributes in rendered HTML (escaped text is not markup)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self.elements.append((tag, dict(attrs)))


def test_formatting_survives():
    html = render("## Title\n\n**bold** `code`\n\n> quote\n\n| a |\n|---|\n| 1 |")
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<blockquote>" in html and "<table>" in html


def test_links_are_marked_ugc_and_raw_html_is_text():
    html = render('[site](https://example.com) <script>alert(1)</script> <a href="x" onclick="y">')
    elements = _Elements(html)
    assert elements.tags == ["p", "a"]
    assert ("rel", "nofollow ugc noopener noreferrer") in elements.attributes
    assert "&lt;script&gt;" in html


def test_dangerous_urls_are_not_links():
    for url in ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x"]:
        attributes = _Elements(render(f"[x]({url}) ![y]({url})")).attributes
        assert not [value for name, value in attributes if name in {"href", "src"}]


def _assert_inactive(html: str) -> None:
    elements = _Elements(html)
    assert not {"script", "iframe", "style", "object", "embed", "form", "svg"} & set(elements.tags)
    assert not [name for name, _ in elements.attributes if name.startswith("on")]
    assert "style" not in {name for name, _ in elements.attributes}
    for name, value in elements.attributes:
        if name in {"href", "src"} and value:
            assert value.split(":")[0].lower() not in {"javascript", "data", "vbscript"}


def _cook_html(source: str) -> str:
    try:
        return cook(source, resolve_handles=lambda c: {h: h for h in c}, resolve_tags=set).html
    except ValidationError:  # a malformed poll: nothing is rendered
        return ""


# Markdown with the syntax that matters nearby, so hypothesis reaches links, quotes and polls.
_pieces = st.sampled_from(
    [
        "[", "]", "(", ")", "<", ">", "!", "`", "```", "\n", "\n\n", "@", "#", "&", ";", ":",
        '"', "'", "=", "*", "> ", "- ", "    ", "javascript:", "JaVa\tScRiPt:", "data:",
        "vbscript:", "&#x09;", "&#106;", "%0a", "alert(1)", "onerror=", "https://", "/media/",
        "[quote=", "[/quote]", "[poll]", "[/poll]", "<script>", "<svg onload=x>", "<img src=x ",
        "alice", "tag", "社区", "é", "\u202e",
    ]
)  # fmt: skip
_markdownish = st.lists(st.one_of(_pieces, st.text(max_size=5)), max_size=40).map("".join)


@given(st.one_of(st.text(max_size=300), _markdownish))
def test_no_input_produces_active_html(source):
    _assert_inactive(render(source))
    _assert_inactive(_cook_html(source))


def test_sanitiser_keeps_only_our_classes_and_attributes():
    html = sanitise(
        '<a class="mention evil" href="/u/x/">x</a><a class="hashtag" href="/t/">t</a>'
        '<p class="quote-title x">q</p><code class="language-py x">c</code>'
        '<code class="language-py">d</code><img src="mailto:x" style="x">'
    )
    classes = [value for name, value in _Elements(html).attributes if name == "class"]
    assert classes == ["hashtag", "language-py"]
    images = [attrs for tag, attrs in _Elements(html).elements if tag == "img"]
    assert images == [{"loading": "lazy", "referrerpolicy": "no-referrer"}]


def test_bare_urls_are_links_in_guidelines_too():
    assert 'href="https://example.com/rules"' in render("See https://example.com/rules.")


_upstream = MarkdownIt()


@given(
    st.sampled_from(["http://", "https://", "HTTPS://"]),
    st.text(alphabet="abcXN09.-", max_size=12),
    st.sampled_from(["", ":80", ":", "/", "?", "#"]),
    st.text(alphabet="abcXYZ019-._~:/?#[]@!$&'()*+,;=%é ", max_size=30),
)
def test_plain_url_fast_path_changes_nothing(scheme, host, separator, rest):
    """core.markdown skips markdown-it's URL normalisation for PLAIN_URLs: prove it is a no-op."""
    url = scheme + host + separator + rest
    if PLAIN_URL.fullmatch(url):
        assert _upstream.normalizeLink(url) == url
        if "%" not in url:
            assert _upstream.normalizeLinkText(url) == url


@pytest.mark.parametrize(
    "url", ["https://xn--fsqu00a.xn--fiqs8s/", "http://user@host/", "https://例子.中国/", "/x"]
)
def test_urls_needing_normalisation_take_markdown_its_path(url):
    assert not PLAIN_URL.fullmatch(url)
