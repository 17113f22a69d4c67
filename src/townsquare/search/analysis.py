"""Text to search terms, done the same way when indexing and when querying.

- Chinese has no spaces: runs of Han characters are segmented with jieba in its search
  mode, which also emits the shorter words inside long ones, so 社区管理 (community
  management) finds 在线社区管理软件 (online community management software).
- Polish and English inflect: words are reduced to their dictionary form with simplemma,
  so "społeczności" finds "społeczność" and "communities" finds "community".

Both libraries ship their dictionaries; nothing is downloaded at run time.
"""

import functools
import logging
import re
import unicodedata
from collections.abc import Iterator

import jieba
import simplemma

# Tried in this order for a word; simplemma returns the word itself when no language knows it.
LEMMA_LANGUAGES = ("pl", "en")
MAX_TERM_LENGTH = 64

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+)")
_WORD = re.compile(rf"[^\W_{_HAN}]+")
# jieba loads its dictionary (about a second) on first use, once, under its own lock.
jieba.setLogLevel(logging.WARNING)


def _han_terms(run: str) -> Iterator[str]:
    for word in jieba.cut_for_search(run):
        if word.strip():
            yield word


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The dictionary form of a word, followed to where it stops changing.

    simplemma's lemmas are not always lemmas of themselves (zarządzania -> zarządzanie ->
    zarządzać), so a query word and a document word could land one step apart; following
    the chain makes both meet.
    """
    for _ in range(4):
        # Some lemmas are proper names ("ig" -> "Iga"): fold case at every step.
        # low_memory reads simplemma's packed dictionaries in place: the same lemmas, with
        # 47 MB instead of 382 MB per process for Polish (bench/search_dictionaries.py).
        base = simplemma.lemmatize(word, lang=LEMMA_LANGUAGES, low_memory=True).casefold()
        if base == word:
            break
        word = base
    return word


def load_dictionaries() -> None:
    """Load jieba's and simplemma's dictionaries now rather than on the first search or
    indexing job after a restart, which would otherwise wait seconds for them."""
    jieba.initialize()
    for language in LEMMA_LANGUAGES:
        simplemma.lemmatize("a", lang=language, low_memory=True)


def terms(text: str) -> list[str]:
    """The search terms of a text, in order, with repeats (for ranking by frequency)."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    found: list[str] = []
    for match in _RUNS.finditer(normalized):
        if match.lastgroup == "han":
            found.extend(_han_terms(match.group()))
        else:
            word = match.group()[:MAX_TERM_LENGTH]
            found.append(word if word.isdigit() else lemma(word))
    return found


def query_terms(query: str) -> list[str]:
    """The distinct terms of a search query, in the order they were typed."""
    return list(dict.fromkeys(terms(query)))


def term_spans(text: str, wanted: set[str] | None = None) -> Iterator[tuple[int, int, str]]:
    """The terms of a text with where they stand in it: (start, end, term), for highlighting.

    Runs are found in the text as written, so offsets point into it; each run is then
    analysed exactly as ``terms`` does. Chinese runs are segmented with offsets (search
    mode, so the short words inside long ones get their own spans, which may overlap).
    With ``wanted``, a Chinese run is segmented only when a wanted term occurs in it, which
    keeps highlighting long texts cheap (a Chinese term is always a substring of its run).
    """
    for match in _RUNS.finditer(text):
        start, run = match.start(), match.group()
        if match.lastgroup != "han":
            # Fast path, same result as terms(run): a word NFKC leaves alone that is still
            # one word once case-folded.
            if unicodedata.is_normalized("NFKC", run):
                folded = run.casefold()
                if _WORD.fullmatch(folded):
                    word = folded[:MAX_TERM_LENGTH]
                    yield start, match.end(), word if word.isdigit() else lemma(word)
                    continue
            for term in terms(run):
                yield start, match.end(), term
            continue
        normalized = unicodedata.normalize("NFKC", run).casefold()
        if wanted is not None and not any(term in normalized for term in wanted):
            continue
        if len(normalized) != len(run):  # offsets would not line up: mark the whole run
            for term in terms(run):
                yield start, match.end(), term
            continue
        for word, word_start, word_end in jieba.tokenize(normalized, mode="search"):
            if word.strip():
                yield start + word_start, start + word_end, word
