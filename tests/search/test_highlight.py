import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from townsquare.core.queries import get_community
from townsquare.search.analysis import query_terms, term_spans, terms
from townsquare.search.highlight import highlight, snippet
from townsquare.search.queries import search


def marks(query: str, text: str) -> str:
    return str(highlight(text, set(query_terms(query))))


def test_english_forms_are_marked():
    assert marks("communities", "A Community of makers") == "A <mark>Community</mark> of makers"


def test_polish_inflections_are_marked():
    assert (
        marks("społeczności", "Zarządzanie społecznością i społeczność")
        == "Zarządzanie <mark>społecznością</mark> i <mark>społeczność</mark>"
    )


def test_chinese_words_are_marked_inside_longer_ones():
    assert marks("社区管理", "我们在用一款在线社区管理软件") == (
        "我们在用一款在线<mark>社区管理</mark>软件"
    )
    assert marks("软件", "管理软件") == "管理<mark>软件</mark>"


def test_everything_else_is_escaped():
    text = 'Try <script>alert("x")</script> & <b>bold</b>'
    html = marks("alert bold", text)
    assert "<script>" not in html and "<b>" not in html
    assert html == (
        "Try &lt;script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt; &amp; "
        "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;"
    )
    assert marks("script", "<script>") == "&lt;<mark>script</mark>&gt;"


def test_snippet_shows_the_densest_window():
    filler = "lorem ipsum dolor sit amet " * 30
    text = f"kafka once here. {filler} kafka and zookeeper together here. {filler} end"
    html = str(snippet(text, set(query_terms("kafka zookeeper"))))
    assert "<mark>kafka</mark> and <mark>zookeeper</mark>" in html
    assert html.startswith("…") and html.endswith("…")
    assert len(html.replace("<mark>", "").replace("</mark>", "")) < 240


def test_snippet_of_short_text_and_without_matches():
    assert str(snippet("Short text.", {"short"})) == "<mark>Short</mark> text."
    long = "word " * 100
    assert str(snippet(long, {"nothing"})).endswith("…")
    assert str(snippet(long, {"nothing"})).startswith("word word")


def test_chinese_snippet_window():
    text = "无关的句子。" * 60 + "我们的在线社区管理软件很好用。" + "无关的句子。" * 60
    html = str(snippet(text, set(query_terms("社区管理"))))
    assert "<mark>社区管理</mark>" in html and html.startswith("…")


def test_search_hits_are_highlighted_and_escaped(forum, visitor):
    general = forum.category("General")
    forum.topic(general, "<img src=x onerror=alert(1)> Kafka tips", "Use <script>kafka</script>")
    hit = search(visitor, get_community(), "kafka").hits[0]
    assert str(hit.title_html) == ("&lt;img src=x onerror=alert(1)&gt; <mark>Kafka</mark> tips")
    assert str(hit.snippet_html) == "Use &lt;script&gt;<mark>kafka</mark>&lt;/script&gt;"


@given(
    st.text(
        alphabet=st.one_of(
            st.characters(categories=["L", "Nd", "P", "Zs"]), st.sampled_from("社区管理软件在线")
        ),
        max_size=80,
    )
)
def test_spans_give_the_same_terms_as_indexing(text):
    text = unicodedata.normalize("NFKC", text)
    assert sorted(term for _start, _end, term in term_spans(text)) == sorted(terms(text))
