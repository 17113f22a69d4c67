import jieba
from hypothesis import given
from hypothesis import strategies as st

from townsquare.search.analysis import load_dictionaries, query_terms, terms


def finds(query: str, document: str) -> bool:
    return set(query_terms(query)) <= set(terms(document))


def test_chinese_is_segmented_on_both_sides():
    assert finds("社区管理", "我们在用一款在线社区管理软件")
    assert finds("管理软件", "在线社区管理软件")
    assert not finds("社区管理", "在线论坛软件")


def test_polish_inflections_meet_at_the_dictionary_form():
    assert finds("społeczności", "Nasza społeczność rośnie")
    assert finds("społeczność", "Zarządzanie społecznościami jest trudne")
    assert finds("zarządzanie", "narzędzia do zarządzania")


def test_web_workers_can_load_the_dictionaries_before_the_first_search():
    load_dictionaries()
    assert jieba.dt.initialized
    assert finds("społeczności", "Nasza społeczność rośnie")


def test_english_plurals_and_forms():
    assert finds("communities", "A community of makers")
    assert finds("running", "We run meetups")


def test_mixed_languages_and_case():
    document = "Northwind API 的社区管理 — Społeczność 2026"
    assert finds("api", document)
    assert finds("社区", document)
    assert finds("SPOŁECZNOŚCI", document)
    assert finds("2026", document)


def test_noise_gives_no_terms():
    assert terms("") == []
    assert terms("   \n\t ") == []
    assert terms("!!! ??? — … 🙂 \u200b") == []
    assert query_terms("<script>alert(1)</script>") == ["script", "alert", "1"]


def test_terms_keep_repeats_and_queries_do_not():
    assert terms("forum forum forum").count("forum") == 3
    assert query_terms("forum forum") == ["forum"]


@given(st.text(max_size=200))
def test_terms_are_clean_tokens(text):
    for term in terms(text):
        assert term and term == term.strip()
        assert not any(ch.isspace() for ch in term)
        assert len(term) <= 64
        assert term == term.casefold() or not term.isascii()


@given(st.text(max_size=100))
def test_a_text_always_finds_itself(text):
    assert finds(text, text)
