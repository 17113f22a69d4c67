from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from townsquare.core.markdown import render


class _Elements(HTMLParser):
    """The real elements and attributes in rendered HTML (escaped text is not markup)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


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


@given(st.text(max_size=300))
def test_no_input_produces_active_html(source):
    elements = _Elements(render(source))
    assert not {"script", "iframe", "style", "object", "embed", "form"} & set(elements.tags)
    assert not [name for name, _ in elements.attributes if name.startswith("on")]
    for name, value in elements.attributes:
        if name in {"href", "src"} and value:
            assert value.split(":")[0].lower() not in {"javascript", "data", "vbscript"}
