"""forum.cooking: markdown posts to safe HTML, mentions, hashtags, quotes and polls."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from townsquare.forum.cooking import Cooked, PollSpec, QuoteRef, cook, excerpt

MEMBERS = {"alice": "Alice", "bob.smith": "bob.smith", "zoë": "Zoë", "李小明": "李小明"}
TAGS = {"python", "社区", "meta", "c-sharp"}


class Resolvers:
    """Fake lookups that remember how they were called (the real ones are one query each)."""

    def __init__(self) -> None:
        self.handle_calls: list[set[str]] = []
        self.tag_calls: list[set[str]] = []

    def handles(self, candidates: set[str]) -> dict[str, str]:
        self.handle_calls.append(set(candidates))
        return {key: MEMBERS[key] for key in candidates if key in MEMBERS}

    def tags(self, candidates: set[str]) -> set[str]:
        self.tag_calls.append(set(candidates))
        return candidates & TAGS


def cooked(source: str, resolvers: Resolvers | None = None) -> Cooked:
    resolvers = resolvers or Resolvers()
    return cook(source, resolve_handles=resolvers.handles, resolve_tags=resolvers.tags)


class Elements(HTMLParser):
    """Elements with their attributes, and the text, of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def urls(self) -> list[str]:
        return [
            value
            for _, attrs in self.elements
            for name, value in attrs.items()
            if name in {"href", "src"} and value
        ]


def links(html: str) -> list[tuple[str | None, str | None]]:
    """(class, href) of every link."""
    return [(attrs.get("class"), attrs.get("href")) for attrs in Elements(html).find("a")]


# --- Mentions ---------------------------------------------------------------------------------


def test_resolved_mention_links_to_the_member_as_stored():
    result = cooked("Hi @ALICE, welcome!")
    assert links(result.html) == [("mention", "/u/Alice/")]
    assert ">@ALICE</a>" in result.html  # as written
    assert result.mentions == {"Alice"}


def test_unresolved_mention_stays_text():
    result = cooked("Hi @nobody and @alice")
    assert links(result.html) == [("mention", "/u/Alice/")]
    assert "@nobody" in result.html
    assert result.mentions == {"Alice"}


def test_mention_handle_rules():
    resolvers = Resolvers()
    result = cooked(
        "thanks @alice. and @bob.smith- then @zoë, @李小明 — @ab too short, "
        "@" + "x" * 31 + " too long",
        resolvers,
    )
    assert resolvers.handle_calls == [{"alice", "bob.smith", "zoë", "李小明"}]
    assert result.mentions == {"Alice", "bob.smith", "Zoë", "李小明"}
    assert ("mention", "/u/Zo%C3%AB/") in links(result.html)
    assert ("mention", "/u/%E6%9D%8E%E5%B0%8F%E6%98%8E/") in links(result.html)
    assert ">@alice</a>." in result.html and ">@bob.smith</a>-" in result.html


def test_mention_in_decomposed_unicode_finds_the_member():
    assert cooked("@zoe\u0308 hi").mentions == {"Zoë"}


def test_no_mentions_in_code_links_emails_or_escapes():
    resolvers = Resolvers()
    source = (
        "`@alice` and\n\n```\n@alice\n```\n\n    @alice indented\n\n"
        "[ask @alice](https://example.com) https://example.com/@alice "
        "alice@example.com a@alice.com \\@alice @alice@example.social"
    )
    result = cooked(source, resolvers)
    assert result.mentions == frozenset()
    assert not [href for css, href in links(result.html) if css == "mention"]
    assert resolvers.handle_calls == []  # no candidate at all


def test_mentions_inside_emphasis_headings_lists_and_quotes():
    result = cooked("# Hello @alice\n\n* **@bob.smith**\n\n> @zoë\n")
    assert result.mentions == {"Alice", "bob.smith", "Zoë"}


# --- Hashtags ---------------------------------------------------------------------------------


def test_resolved_hashtag_links_to_the_tag():
    result = cooked("About #Python and #社区 and #c-sharp.")
    assert links(result.html) == [
        ("hashtag", "/tags/python/"),
        ("hashtag", "/tags/%E7%A4%BE%E5%8C%BA/"),
        ("hashtag", "/tags/c-sharp/"),
    ]
    assert ">#Python</a>" in result.html and ">#社区</a>" in result.html
    assert result.hashtags == {"python", "社区", "c-sharp"}


def test_hashtag_rules():
    resolvers = Resolvers()
    result = cooked("C# a#b ##meta #unknown `#python` [#python](/x) #" + "p" * 41, resolvers)
    assert result.hashtags == frozenset()
    assert resolvers.tag_calls == [{"unknown"}]


def test_hashtag_at_line_start_is_not_a_heading():
    result = cooked("#python rocks")
    assert "<h1>" not in result.html
    assert result.hashtags == {"python"}


def test_resolvers_are_called_once_per_cook_and_not_without_candidates():
    resolvers = Resolvers()
    cooked("@alice #python\n\n> @bob.smith #meta\n\n* @nobody #nothing", resolvers)
    assert resolvers.handle_calls == [{"alice", "bob.smith", "nobody"}]
    assert resolvers.tag_calls == [{"python", "meta", "nothing"}]
    resolvers = Resolvers()
    cooked("No names here, just text & code `@x`.", resolvers)
    assert resolvers.handle_calls == [] and resolvers.tag_calls == []


# --- Quotes -----------------------------------------------------------------------------------


QUOTE = '[quote="alice, post:3, topic:42"]\nquoted **markdown**\n[/quote]\n\nMy reply.'


def test_quote_links_to_the_quoted_post():
    result = cooked(QUOTE)
    blockquote = Elements(result.html).find("blockquote")
    assert blockquote == [{"class": "quote"}]
    assert ("quote-title" in result.html) and ('<a href="/p/42/3/"' in result.html)
    assert "<strong>markdown</strong>" in result.html
    assert result.quotes == (QuoteRef(topic_id=42, post_number=3),)


def test_quoted_text_is_not_in_the_plain_text():
    assert cooked(QUOTE).text == "My reply."


def test_quote_without_post_and_topic_has_no_link():
    result = cooked("[quote=bob]\nhello\n[/quote]")
    assert result.quotes == ()
    assert "bob:" in result.html and not Elements(result.html).find("a")
    assert cooked("[quote]\nhello\n[/quote]").html.startswith('<blockquote class="quote">')


def test_quote_name_is_escaped_text():
    result = cooked('[quote="<img src=x onerror=alert(1)>, post:1, topic:2"]\nx\n[/quote]')
    assert not Elements(result.html).find("img")
    assert "&lt;img" in result.html


def test_nested_quotes_and_refs_in_order_without_duplicates():
    source = (
        '[quote="bob, post:5, topic:7"]\nouter\n'
        '[quote="alice, post:3, topic:42"]\ninner\n[/quote]\n'
        "[/quote]\n\n"
        '[quote="bob, post:5, topic:7"]\nagain\n[/quote]'
    )
    result = cooked(source)
    assert [tag for tag, _ in Elements(result.html).elements].count("blockquote") == 3
    assert result.html.index("outer") < result.html.index("inner")
    assert result.quotes == (QuoteRef(7, 5), QuoteRef(42, 3))


def test_quote_in_a_code_block_is_code():
    result = cooked('```\n[quote="alice, post:3, topic:42"]\nx\n[/quote]\n```')
    assert "<blockquote" not in result.html and result.quotes == ()
    assert "[quote=" in result.html


def test_unterminated_quote_is_text():
    result = cooked('[quote="alice, post:3, topic:42"]\nnever closed')
    assert "<blockquote" not in result.html and result.quotes == ()
    assert "[quote=" in result.text


def test_closing_quote_in_a_fence_inside_a_quote_does_not_end_it():
    result = cooked("[quote=bob]\n```\n[/quote]\n```\nstill quoted\n[/quote]\n\nmine")
    assert result.html.index("still quoted") < result.html.index("</blockquote>")
    assert result.text == "mine"


def test_quote_interrupts_a_paragraph_and_works_in_lists():
    assert '<blockquote class="quote">' in cooked("text\n[quote=bob]\nx\n[/quote]").html
    assert '<blockquote class="quote">' in cooked("- [quote=bob]\n  x\n  [/quote]").html


# --- Polls ------------------------------------------------------------------------------------


POLL = """Lunch?

[poll type=multiple max=2 close=2026-12-01T18:00Z name=lunch]
# Where shall we meet?
* Kraków
* Warszawa
* 上海
[/poll]

See you."""


def test_multiple_choice_poll():
    result = cooked(POLL)
    assert result.polls == (
        PollSpec(
            name="lunch",
            question="Where shall we meet?",
            kind="multiple",
            options=("Kraków", "Warszawa", "上海"),
            closes_at=datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
            max_choices=2,
        ),
    )
    assert "Kraków" not in result.html and "[poll" not in result.html
    assert "Lunch?" in result.html and "See you." in result.html


def test_single_choice_poll_defaults():
    result = cooked("[poll]\n- Yes\n- No\n[/poll]")
    assert result.polls == (PollSpec("poll", "", "single", ("Yes", "No"), None, None),)
    assert result.html == ""


def test_poll_types_question_forms_and_numbered_options():
    regular = cooked("[poll type=regular]\nPick one:\n1. A\n2. B\n[/poll]").polls[0]
    assert (regular.kind, regular.question, regular.options) == ("single", "Pick one:", ("A", "B"))
    single = cooked("[poll type=single]\n## Best? ##\n+ A\n+ B\n[/poll]").polls[0]
    assert (single.kind, single.question) == ("single", "Best?")


@pytest.mark.parametrize(
    ("close", "expected"),
    [
        ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00:00.000Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2026-12-01T18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),  # naive is UTC
        ("2026-12-01T20:00+02:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ('"2026-12-01 18:00"', datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
        ("2020-01-01T00:00Z", datetime(2020, 1, 1, tzinfo=UTC)),  # the past is allowed here
    ],
)
def test_poll_close_dates(close, expected):
    closes_at = cooked(f"[poll close={close}]\n* a\n* b\n[/poll]").polls[0].closes_at
    assert closes_at == expected and closes_at.utcoffset().total_seconds() == 0


def test_several_polls_with_names():
    result = cooked("[poll name=a]\n* x\n* y\n[/poll]\n\n[poll name=b-2]\n* x\n* y\n[/poll]")
    assert [poll.name for poll in result.polls] == ["a", "b-2"]


def test_poll_in_code_is_code_and_poll_in_a_quote_belongs_to_the_quoted_post():
    assert cooked("```\n[poll]\n* a\n[/poll]\n```").polls == ()
    result = cooked("[quote=bob]\n[poll]\n* only one\n[/poll]\n[/quote]")
    assert result.polls == () and "only one" not in result.html


def test_poll_text_is_searchable():
    assert cooked(POLL).text == "Lunch?\nWhere shall we meet?\nKraków\nWarszawa\n上海\nSee you."


def _poll_error(source: str) -> str:
    with pytest.raises(ValidationError) as error:
        cooked(source)
    [message] = error.value.message_dict["body"]
    return message


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("[poll]\n* only\n[/poll]", "at least 2 options"),
        ("[poll]\n[/poll]", "at least 2 options"),
        ("[poll]\n" + "".join(f"* o{n}\n" for n in range(21)) + "[/poll]", "at most 20 options"),
        ("[poll]\n* Tak\n* tak\n[/poll]", "“tak” is listed twice"),
        ("[poll]\n* a\n* " + "x" * 201 + "\n[/poll]", "longer than 200 characters"),
        ("[poll]\n* a\n*\n[/poll]", "empty"),
        ("[poll close=tomorrow]\n* a\n* b\n[/poll]", "close date “tomorrow”"),
        ("[poll close=2026-13-45T99:00Z]\n* a\n* b\n[/poll]", "close date"),
        ("[poll type=number]\n* a\n* b\n[/poll]", "type “number” is unknown"),
        ("[poll type=multiple max=4]\n* a\n* b\n* c\n[/poll]", "max=4 is out of range"),
        ("[poll type=multiple max=1]\n* a\n* b\n* c\n[/poll]", "max=1 is out of range"),
        ("[poll type=multiple max=two]\n* a\n* b\n[/poll]", "max=two is out of range"),
        ("[poll max=2]\n* a\n* b\n[/poll]", "type=multiple"),
        ("[poll]\n* a\n* b\n[/poll]\n\n[poll]\n* c\n* d\n[/poll]", "Two polls are named “poll”"),
        ("[poll name=Lunch!]\n* a\n* b\n[/poll]", "name “Lunch!” is not allowed"),
        ("[poll name=" + "x" * 41 + "]\n* a\n* b\n[/poll]", "is not allowed"),
        (
            "\n\n".join(f"[poll name=p{n}]\n* a\n* b\n[/poll]" for n in range(6)),
            "at most 5 polls",
        ),
        ("[poll]\n* a\n* b\n", "not closed"),
        ("Text\n[poll]\n* a\n* b", "not closed"),
        ("[poll]\n* a\n* b\nafterwards\n[/poll]", "before the options"),
    ],
)
def test_malformed_polls_are_refused_clearly(source, words):
    assert words in _poll_error(source)


def test_poll_errors_name_the_poll():
    message = _poll_error("[poll name=lunch]\n* a\n[/poll]")
    assert message.startswith("Poll “lunch”:")


# --- Links, images, code ----------------------------------------------------------------------


def test_bare_urls_become_ugc_links():
    result = cooked(
        "See https://example.com/a?b=1. (https://en.wikipedia.org/wiki/Rust_(fungus)) "
        "https://例子.中国/路径。 <mailto:team@example.com> http://localhost:8000/x, "
        "HTTPS://EXAMPLE.ORG/A_B_ `https://in.code/`"
    )
    anchors = Elements(result.html).find("a")
    assert [a["href"] for a in anchors] == [
        "https://example.com/a?b=1",
        "https://en.wikipedia.org/wiki/Rust_(fungus)",
        "https://xn--fsqu00a.xn--fiqs8s/%E8%B7%AF%E5%BE%84",
        "mailto:team@example.com",
        "http://localhost:8000/x",
        "HTTPS://EXAMPLE.ORG/A_B",
    ]
    assert all(a["rel"] == "nofollow ugc noopener noreferrer" for a in anchors)
    assert "https://例子.中国/路径</a>。" in result.html


def test_bare_urls_end_where_they_should():
    html = cooked(
        'https://x.org/a"onmouseover=alert(1) https://x.org/b<i> https://x.org/c&amp;'
    ).html
    assert Elements(html).urls() == ["https://x.org/a", "https://x.org/b", "https://x.org/c"]
    assert active_html(html) == []


def test_scheme_less_names_are_not_guessed_links():
    assert not Elements(cooked("Read README.md and cooking.py, www.example.com").html).find("a")


def test_mention_and_quote_links_are_ugc_too():
    html = cooked("@alice\n\n" + QUOTE).html
    assert all(a["rel"] == "nofollow ugc noopener noreferrer" for a in Elements(html).find("a"))


def test_images_are_lazy_and_send_no_referrer():
    [image] = Elements(cooked("![a cat](https://example.com/cat.webp)").html).find("img")
    assert image == {
        "src": "https://example.com/cat.webp",
        "alt": "a cat",
        "loading": "lazy",
        "referrerpolicy": "no-referrer",
    }


@pytest.mark.parametrize(
    "src", ["data:image/png;base64,iVBORw0KGgo=", "mailto:a@example.com", "javascript:alert(1)"]
)
def test_images_keep_only_web_sources(src):
    for image in Elements(cooked(f"![x]({src})").html).find("img"):
        assert "src" not in image


def test_relative_images_and_links_survive():
    html = cooked("![x](/media/uploads/a.webp) [y](/t/1) [z](../up)").html
    assert Elements(html).urls() == ["/media/uploads/a.webp", "/t/1", "../up"]


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ("python", "language-python"),
        ("Python {.numberLines}", "language-python"),
        ("c++", "language-c++"),
        ("C#", "language-c#"),
        ("objective-c.2", "language-objective-c.2"),
        ('js" onmouseover="alert(1)', None),
        ("x" * 31, None),
        ("naïve", None),
        ("", None),
    ],
)
def test_code_block_language_class(info, expected):
    [code] = Elements(cooked(f"```{info}\n@alice #python [quote]\n```").html).find("code")
    assert code.get("class") == expected
    assert set(code) <= {"class"}


def test_code_is_never_processed():
    resolvers = Resolvers()
    result = cooked("```\n@alice #python\n[poll]\n* a\n* b\n[/poll]\n```", resolvers)
    assert (result.mentions, result.hashtags, result.polls) == (frozenset(), frozenset(), ())
    assert resolvers.handle_calls == [] and resolvers.tag_calls == []
    assert "@alice #python" in result.text


def test_headings_tables_and_strikethrough():
    html = cooked("### Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~").html
    assert "<h3>Title</h3>" in html and "<table>" in html and "<s>gone</s>" in html


def test_upload_paths_from_links_and_images(settings):
    settings.ALLOWED_HOSTS = ["forum.example.org"]
    result = cooked(
        "![a](/media/uploads/2026/11/ab12.webp) [b](/media/uploads/2026/11/doc.pdf) "
        "[c](https://forum.example.org/media/uploads/2026/11/c.zip) "
        "![d](https://elsewhere.example/media/uploads/2026/11/d.webp) "
        "[e](/media/avatars/1/x.webp) [f](/media/uploads/../secret) "
        "https://forum.example.org/media/uploads/2026/11/bare.txt "
        "`/media/uploads/2026/11/code.webp`"
    )
    assert result.upload_paths == {
        "uploads/2026/11/ab12.webp",
        "uploads/2026/11/doc.pdf",
        "uploads/2026/11/c.zip",
        "uploads/2026/11/bare.txt",
    }


# --- Plain text and excerpts ------------------------------------------------------------------


def test_plain_text_has_no_markup():
    result = cooked("# Title\n\n**Bold** [link](https://x.org) `code` ![alt text](/i.png)\n\n* one")
    assert result.text == "Title\nBold link code alt text\none"


def test_excerpt_cuts_at_a_word_boundary():
    text = "The quick brown fox jumps over the lazy dog"
    assert excerpt(text, 100) == text
    assert excerpt(text, 20) == "The quick brown fox…"
    assert excerpt("  many \n\n spaces  ", 100) == "many spaces"
    assert len(excerpt(text, 20)) <= 20
    assert excerpt("x" * 50, 10) == "x" * 9 + "…"


def test_excerpt_cuts_chinese_between_any_characters():
    text = "我们的社区欢迎每一个人参与讨论和分享经验"
    assert excerpt(text, 10) == text[:9] + "…"
    assert excerpt("Hello 世界和平万岁万岁", 10) == "Hello 世界和" + "…"


def test_excerpt_of_a_cooked_post_leaves_out_quotes():
    assert excerpt(cooked(QUOTE).text, 50) == "My reply."


# --- Safety -----------------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" class="mention">x</a>',
    "<style>body{display:none}</style>",
    "<iframe src=https://evil.example></iframe>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#9;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](%6a%61%76%61%73%63%72%69%70%74:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](<javascript:alert(1)>)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](x onerror=alert(1))",
    '![x](https://example.com/x.png "a\\" onerror=\\"alert(1)")',
    "<javascript:alert(1)>",
    "javascript:alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '[quote="x\\" onmouseover=\\"alert(1), post:1, topic:1"]\nx\n[/quote]',
    '```js"><script>alert(1)</script>\nx\n```',
    "<!-- <script>alert(1)</script> -->",
]


OUR_CLASSES = {"mention", "hashtag", "quote", "quote-title"}


def active_html(html: str) -> list[str]:
    """Everything in html that could run script or change the page."""
    elements = Elements(html)
    problems = [
        tag
        for tag, _ in elements.elements
        if tag in {"script", "iframe", "style", "object", "embed", "form", "svg", "math", "base"}
    ]
    for tag, attrs in elements.elements:
        for name, value in attrs.items():
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                problems.append(f"{tag} {name}")
            if name in {"href", "src"} and value:
                scheme = value.split(":")[0].lower().strip()
                if ":" in value and scheme not in {"http", "https", "mailto"}:
                    problems.append(f"{tag} {name}={value}")
            language = tag == "code" and (value or "").startswith("language-")
            if name == "class" and value not in OUR_CLASSES and not language:
                problems.append(f"{tag} class={value}")
    return problems


@pytest.mark.parametrize("source", XSS)
def test_xss_corpus_is_harmless(source):
    assert active_html(cooked(source).html) == []


def test_members_cannot_write_our_classes():
    html = cooked('<a class="mention" href="/u/x/">@x</a> <span style="color:red">x</span>').html
    assert [tag for tag, _ in Elements(html).elements] == ["p"]  # the rest is text


# Hostile shapes (floods of markers, deep nesting): they must cook, or be refused with a
# clear message, without crashing. How long they take is measured in bench/cooking.py.
HOSTILE = [
    "[quote]\n" * 5000,
    "[quote]\n" * 3000 + "[/quote]\n" * 1500,
    "[quote]\nx\n" * 2000 + "[/quote]\n" * 1000,
    ("text\n" + "[quote=a]\n" * 2000) * 2,
    "[quote]\n" * 25 + "deep\n" + "[/quote]\n" * 25,
    "> " * 5000 + "@alice",
    "@" * 10000 + "#" * 10000,
    "@alice" * 3000,
    ("[poll]\n" + "* a\n" * 21) * 100,
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_cooks_or_is_refused_cleanly(source):
    try:
        result = cooked(source)
    except ValidationError as error:
        assert "body" in error.message_dict
    else:
        assert active_html(result.html) == []
