"""Screening new content before it lands: watched words, blocked link domains, duplicate
posts, new members' limits, the first posts of new accounts and the spam score.

``evaluate`` says what would happen to a text (the staff's "test this text" box uses it);
``screen`` is what posting and messaging call: it raises ValidationError when the text is
refused and otherwise returns the text to store (REPLACE words applied) with the reasons to
hold it for approval and the reasons to flag it once published. Holding and flagging are
the callers' job (moderation.actions.queue.hold, moderation.actions.flags.flag), inside
their own write.

Staff are screened for REPLACE words only: a replacement is the community's spelling rule
and never stops a post, while moderators must be able to quote a blocked word or a spam
link when they explain a decision. See docs/moderation.md.
"""

import functools
import logging
import re
import re._parser as sre_parse  # the stdlib's own regex parser: how patterns are vetted
import unicodedata
import uuid
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.core import markdown, permissions
from townsquare.forum.cooking import Cooked
from townsquare.forum.models import Post, Topic
from townsquare.moderation.models import (
    BlockedDomain,
    MatchKind,
    ModerationSettings,
    WatchedWord,
    WordAction,
)
from townsquare.moderation.queries import moderation_settings
from townsquare.moderation.trust import limits_for

logger = logging.getLogger(__name__)

TOPIC, REPLY, EDIT, MESSAGE = "topic", "reply", "edit", "message"
KINDS = (TOPIC, REPLY, EDIT, MESSAGE)

# --- Watched words -----------------------------------------------------------------------

# Scripts written without spaces between words: Han (Chinese, kanji), kana, Thai, Lao,
# Khmer, Myanmar. Next to their characters every character boundary is a word boundary,
# so a whole word in Chinese is found inside a sentence (jieba would be finer, but it can
# glue the watched word to its neighbours into one longer token and miss it).
NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029"
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_SPACED_WORD_CHAR = f"[^\\W{NO_SPACE_SCRIPTS}]"  # a letter, digit or "_" of a spaced script
_NO_SPACE_CHAR = re.compile(f"[{NO_SPACE_SCRIPTS}]")

# Regular expressions run on Python's backtracking engine, so a pattern is vetted when it is
# saved (docs/moderation.md, "Watched words"): "*", "+" and "{n,}" repeat at most
# REGEX_MAX_REPEAT times, repeats do not nest or repeat alternatives, and the product of the
# repeat counts (how much backtracking one position can cost) stays within REGEX_BUDGET.
REGEX_MAX_LENGTH = 200
REGEX_MAX_REPEAT = 30
REGEX_BUDGET = 1000
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT}
_OPEN_REPEAT = re.compile(r"\{(\d*),\}")


def _bound_repeats(source: str) -> str:
    """``source`` with "*", "+" and "{n,}" bounded to REGEX_MAX_REPEAT repetitions."""
    out: list[str] = []
    index, in_class, after_repeat = 0, False, False
    cap = REGEX_MAX_REPEAT
    while index < len(source):
        char = source[index]
        if char == "\\":
            out.append(source[index : index + 2])
            index, after_repeat = index + 2, False
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class, after_repeat = True, False
            out.append(char)
            index += 1
            for literal in "^]":  # "[]...]" and "[^]...]": the "]" is a member
                if source[index : index + 1] == literal:
                    out.append(literal)
                    index += 1
            continue
        open_repeat = _OPEN_REPEAT.match(source, index) if char == "{" else None
        if char in "*+" and not after_repeat:  # after a repeat, "+" makes it possessive
            out.append(f"{{{0 if char == '*' else 1},{cap}}}")
            after_repeat = True
        elif open_repeat:
            least = int(open_repeat.group(1) or 0)
            out.append(f"{{{least},{max(least, cap)}}}")
            index, after_repeat = open_repeat.end(), True
            continue
        else:
            out.append(char)
            after_repeat = char in "?}" and bool(out[:-1])
        index += 1
    return "".join(out)


def _vet(items: Any, inside_repeat: bool = False) -> int:
    """The backtracking budget a parsed pattern needs; ValidationError for what can explode
    whatever the budget (nested repeats, repeated alternatives, back-references)."""
    cost = 1
    for op, value in items:
        if op in _REPEATS:
            _least, most, body = value
            if most > 1 and inside_repeat:
                raise ValidationError(_("Repeats inside repeats, like (a+)+, are not allowed."))
            cost *= max(most, 1) * _vet(body, inside_repeat or most > 1)
        elif op is sre_parse.BRANCH:
            if inside_repeat:
                raise ValidationError(
                    _("Repeated alternatives, like (a|b)+, are not allowed; use [ab]+.")
                )
            cost *= max(_vet(branch, inside_repeat) for branch in value[1])
        elif op is sre_parse.SUBPATTERN:
            cost *= _vet(value[3], inside_repeat)
        elif op in {sre_parse.ASSERT, sre_parse.ASSERT_NOT}:
            cost *= _vet(value[1], inside_repeat)
        elif op is sre_parse.ATOMIC_GROUP:
            cost *= _vet(value, inside_repeat)
        elif op in {sre_parse.GROUPREF, sre_parse.GROUPREF_EXISTS}:
            raise ValidationError(_("Back-references, like \\1, are not allowed."))
    return cost


def check_regex(source: str) -> str:
    """The pattern as it will run (repeats bounded), or ValidationError saying what is
    wrong with it."""
    if len(source) > REGEX_MAX_LENGTH:
        raise ValidationError(
            _("A pattern has at most %(max)d characters.") % {"max": REGEX_MAX_LENGTH}
        )
    bounded = _bound_repeats(source)
    try:
        with warnings.catch_warnings():  # "possible nested set" and the like: still valid
            warnings.simplefilter("ignore", FutureWarning)
            compiled = re.compile(f"(?:{bounded})", re.IGNORECASE)
            parsed = sre_parse.parse(bounded, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError) as error:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s.") % {"error": error}
        ) from None
    if compiled.groupindex:
        raise ValidationError(_("Named groups are not needed here; use (...) or (?:...)."))
    if _vet(list(parsed)) > REGEX_BUDGET:
        raise ValidationError(
            _(
                "This pattern could take too long on a long post: use fewer repeats, or "
                "smaller ones like {1,5}."
            )
        )
    if compiled.fullmatch(""):
        raise ValidationError(_("This pattern matches an empty text, so it would match any post."))
    return bounded


def word_source(pattern: str, match: str) -> str:
    """The regular expression for one watched word."""
    if match == MatchKind.REGEX:
        return _bound_repeats(pattern)
    source = re.escape(pattern)
    if match == MatchKind.WHOLE:
        first, last = pattern[0], pattern[-1]
        if re.match(r"\w", first) and not _NO_SPACE_CHAR.match(first):
            source = f"(?<!{_SPACED_WORD_CHAR}){source}"
        if re.match(r"\w", last) and not _NO_SPACE_CHAR.match(last):
            source = f"{source}(?!{_SPACED_WORD_CHAR})"
    return source


def for_matching(text: str) -> str:
    """What watched words and domains are looked for in: compatibility forms folded (full
    width "ｓｐａｍ" is "spam"), ideographic full stops read as dots."""
    return unicodedata.normalize("NFKC", text).translate(_DOTS)


# --- Blocked domains -----------------------------------------------------------------------

_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_DOMAIN = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
# Anchored at the start of a run and possessive: linear on a hostile "aaaa…" of any length.
_HOST_IN_TEXT = re.compile(r"(?<![\w-])[\w-]++(?:\.[\w-]++)+")
_HREF = re.compile(r"""<(a|img)\s[^>]*?(?:href|src)="([^"]*)"[^>]*>""")


def _ascii_host(name: str) -> str | None:
    try:
        return name.strip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        return None


def normalise_domain(value: str) -> str:
    """A domain as stored: lower case, punycode, no scheme, user, port, path or "*." —
    "https://WWW.Bücher.de/x" is "www.xn--bcher-kva.de"."""
    raw = for_matching(value.strip()).lower()
    raw = raw.split("://", 1)[-1]
    raw = re.split(r"[/?#\s]", raw, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    raw = raw.removeprefix("*.").strip(".")
    name = _ascii_host(raw) if raw else None
    if not name or not _DOMAIN.fullmatch(name) or "." not in name:
        raise ValidationError(
            {"domain": _("“%(domain)s” is not a domain name like example.com.") % {"domain": value}}
        )
    return name


def display_domain(name: str) -> str:
    """A stored (punycode) domain as people read it: "xn--bcher-kva.de" is "bücher.de"."""
    try:
        return name.encode("ascii").decode("idna")
    except UnicodeError:
        return name


def linked_hosts(text: str, html: str) -> set[str]:
    """Every host name a text links to or spells out (punycode): bare names and URLs in the
    text (percent-escapes undone), and the hosts of the rendered links and images."""
    hosts = {
        host
        for found in _HOST_IN_TEXT.findall(for_matching(unquote(text)))
        if (host := _ascii_host(found))
    }
    for _tag, url in _HREF.findall(html):
        try:
            name = urlsplit(unquote(url)).hostname
        except ValueError:
            continue
        if name and (host := _ascii_host(for_matching(name))):
            hosts.add(host)
    return hosts


# --- The compiled rules, cached per process ------------------------------------------------


@dataclass(frozen=True)
class Rule:
    pk: int
    pattern: str
    match: str
    action: str
    replacement: str


@dataclass(frozen=True)
class Rules:
    """All watched words, one compiled pattern per action, and the blocked domains."""

    patterns: dict[str, re.Pattern]
    rules: dict[str, list[Rule]]  # the rule behind group "r<i>" of the action's pattern
    domains: frozenset[str]

    def matches(self, action: str, text: str, limit: int = 10) -> list[tuple[str, Rule]]:
        """The distinct rules of ``action`` that ``text`` matches, with the text matched."""
        pattern = self.patterns.get(action)
        found: dict[int, tuple[str, Rule]] = {}
        if pattern is None:
            return []
        for match in pattern.finditer(text):
            rule = self.rules[action][int(match.lastgroup[1:])]
            found.setdefault(rule.pk, (match.group(), rule))
            if len(found) >= limit:
                break
        return list(found.values())

    def replace(self, text: str) -> str:
        pattern = self.patterns.get(WordAction.REPLACE)
        if pattern is None or not text:
            return text
        rules = self.rules[WordAction.REPLACE]
        return pattern.sub(lambda match: rules[int(match.lastgroup[1:])].replacement, text)

    def blocked_domain(self, hosts: set[str]) -> str | None:
        """The blocked domain one of ``hosts`` is, or is a subdomain of."""
        for host in sorted(hosts):
            labels = host.split(".")
            for start in range(len(labels) - 1):
                if (suffix := ".".join(labels[start:])) in self.domains:
                    return suffix
        return None


_RULES_VERSION_KEY = "moderation:screening-rules"
_compiled: tuple[str, Rules] | None = None


def _compile() -> Rules:
    patterns, rules = {}, {}
    for action in WordAction.values:
        kept, sources = [], []
        for word in WatchedWord.objects.filter(action=action).order_by("pk"):
            source = word_source(word.pattern, word.match)
            try:
                re.compile(source)
            except re.error:  # saved around the actions' checks: skip it, keep screening
                logger.warning("watched word %s does not compile; skipped", word.pk)
                continue
            sources.append(f"(?P<r{len(kept)}>{source})")
            kept.append(Rule(word.pk, word.pattern, word.match, action, word.replacement))
        if kept:
            patterns[action] = re.compile("|".join(sources), re.IGNORECASE)
            rules[action] = kept
    domains = frozenset(BlockedDomain.objects.values_list("domain", flat=True))
    return Rules(patterns=patterns, rules=rules, domains=domains)


def compiled_rules() -> Rules:
    """The rules, compiled once per process and again after any change (a version in the
    shared cache tells every process)."""
    global _compiled
    version = cache.get(_RULES_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.set(_RULES_VERSION_KEY, version, None)
    if _compiled is None or _compiled[0] != version:
        _compiled = (version, _compile())
    return _compiled[1]


def forget_rules() -> None:
    """A rule changed: recompile now and again on commit (a process that compiled between
    the two would otherwise keep the rules from before this transaction)."""

    def bump() -> None:
        cache.set(_RULES_VERSION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


# --- The spam score ------------------------------------------------------------------------


@dataclass(frozen=True)
class SpamVerdict:
    """What one spam check says: 0 (surely fine) to 1 (surely spam), and why."""

    score: float
    reasons: list[str] = field(default_factory=list)


SpamCheck = Callable[[User, str, str], SpamVerdict]

_URL_IN_TEXT = re.compile(r"(?<!\S)\S*?://\S*")
# A word: one character of a script without spaces, or a run of other letters and digits.
_WORD = re.compile(f"[{NO_SPACE_SCRIPTS}]|[^\\W_{NO_SPACE_SCRIPTS}]+")
_RUN = re.compile(r"(.)\1{11,}", re.DOTALL)


def combine(scores: list[float]) -> float:
    """Independent signals add up without passing 1: 1 - (1 - a)(1 - b)..."""
    rest = 1.0
    for score in scores:
        rest *= 1.0 - min(max(score, 0.0), 1.0)
    return round(1.0 - rest, 3)


def _newness(author: User) -> float:
    """How much a new account weighs on the other signals: TL0 fully, TL1 half, then a
    quarter (a trusted account can be taken over)."""
    return {0: 1.0, 1: 0.5}.get(author.trust_level, 0.25)


def builtin_spam_score(
    author: User, text: str, *, links: int, mentions: int, word_hits: int
) -> SpamVerdict:
    """The platform's own score: link density, repeated text, a new account, mentions and
    watched-word hits."""
    parts, reasons = [], []
    newness = _newness(author)
    words = len(_WORD.findall(_URL_IN_TEXT.sub(" ", text)))
    if links > 2:
        density = links / max(words, 1)
        parts.append(newness * min(1.0, (links - 2) / 10 + max(0.0, density - 0.1)))
        reasons.append(
            ngettext(
                "%(links)d link in %(words)d words", "%(links)d links in %(words)d words", links
            )
            % {"links": links, "words": words}
        )
    encoded = text.encode()
    if len(encoded) >= 200:  # repeated text compresses far better than writing does
        ratio = len(zlib.compress(encoded)) / len(encoded)
        if ratio < 0.25:
            parts.append(min(1.0, (0.25 - ratio) / 0.15))
            reasons.append(_("repeated text"))
    if _RUN.search(text):
        parts.append(0.3)
        reasons.append(_("a character repeated many times"))
    if mentions > 3:
        parts.append(newness * min(1.0, (mentions - 3) / 10))
        reasons.append(_("mentions: %(count)d") % {"count": mentions})
    if word_hits:
        parts.append(min(1.0, 0.25 * word_hits))
        reasons.append(_("watched words"))
    if author.trust_level == 0:
        young = timezone.now() - author.date_joined < timedelta(days=1)
        parts.append(0.2 if young else 0.1)
        reasons.append(_("a new account"))
    return SpamVerdict(combine(parts), reasons)


@functools.cache
def _spam_checks(paths: tuple[str, ...]) -> list[SpamCheck]:
    checks = []
    for path in paths:
        try:
            checks.append(import_string(path))
        except ImportError:  # a typo in the setting must not stop members posting
            logger.exception("spam check %r cannot be imported; left out", path)
    return checks


def spam_score(author: User, text: str, kind: str, **signals: int) -> SpamVerdict:
    """The built-in score combined with every check in settings.MODERATION_SPAM_CHECKS. A
    check that fails is logged and left out: a broken service never stops members posting."""
    verdicts = [builtin_spam_score(author, text, **signals)]
    for check in _spam_checks(tuple(settings.MODERATION_SPAM_CHECKS)):
        try:
            verdict = check(author, text, kind)
            verdicts.append(SpamVerdict(float(verdict.score), list(verdict.reasons)))
        except Exception:
            logger.exception("spam check %r failed; left out", check)
    return SpamVerdict(
        combine([verdict.score for verdict in verdicts]),
        [reason for verdict in verdicts for reason in verdict.reasons],
    )


# --- Screening -----------------------------------------------------------------------------


@dataclass
class Screening:
    """What happens to a text: stored as ``text``/``title``, refused for ``blocked``, held
    for ``hold``, flagged after publishing for ``flag`` (signals: {"rule", "detail"})."""

    text: str
    title: str = ""
    blocked: list[str] = field(default_factory=list)
    hold: list[dict[str, str]] = field(default_factory=list)
    flag: list[dict[str, str]] = field(default_factory=list)
    spam_score: float = 0.0
    spam_reasons: list[str] = field(default_factory=list)

    @property
    def flag_reason(self) -> str:
        """Why the flag is raised: spam when the score says so, else a broken rule."""
        return "spam" if any(s["rule"] == "spam_score" for s in self.flag) else "guideline"


class PostHeld(Exception):
    """The post waits for a moderator's approval in ``item`` (a QUEUED ReviewItem)."""

    def __init__(self, item: Any) -> None:
        super().__init__(f"held for approval in review item {item.pk}")
        self.item = item


def held_message() -> str:
    """What a member is told when their post is held (the pages, the API's 202)."""
    return _("Your post is waiting for a moderator's approval.")


def _counts(html: str) -> tuple[int, int]:
    """External links and images in rendered HTML (mentions, hashtags and the site's own
    pages are not links to count)."""
    links = images = 0
    for found in _HREF.finditer(html):
        tag, url = found.group(1), found.group(2)
        if tag == "img":
            images += 1
        elif not url.startswith(("/", "#")) and 'class="' not in found.group():
            links += 1
    return links, images


def _duplicate_of(author: User, text: str, topic: Topic | None) -> str | None:
    """The title of another topic where the author posted this text within the window."""
    normal = " ".join(text.casefold().split())
    if len(normal) < settings.MODERATION_DUPLICATE_MIN_LENGTH:
        return None  # "Thanks!" in two topics is not spam
    since = timezone.now() - timedelta(hours=settings.MODERATION_DUPLICATE_WINDOW_HOURS)
    posts = Post.objects.filter(author=author, created_at__gte=since, deleted_at__isnull=True)
    if topic is not None:
        posts = posts.exclude(topic=topic)
    for body, title in posts.order_by("-created_at").values_list("body", "topic__title")[:100]:
        if " ".join(body.casefold().split()) == normal:
            return title
    return None


def _signal(rule: str, detail: str) -> dict[str, str]:
    return {"rule": rule, "detail": detail}


def _limits_exceeded(
    author: User, config: ModerationSettings, links: int, images: int, mentions: int
) -> list[str]:
    limits = limits_for(author, config)
    over = []
    for limit, count, message in (
        (limits.links, links, _("links: %(count)d (new members may post %(limit)d)")),
        (limits.images, images, _("images: %(count)d (new members may post %(limit)d)")),
        (limits.mentions, mentions, _("mentions: %(count)d (new members may post %(limit)d)")),
    ):
        if limit is not None and count > limit:
            over.append(message % {"count": count, "limit": limit})
    return over


def evaluate(
    author: User,
    *,
    text: str,
    title: str = "",
    kind: str,
    cooked: Cooked | None = None,
    topic: Topic | None = None,
) -> Screening:
    """What would happen to ``text`` (and ``title``) written by ``author`` as ``kind``
    (topic, reply, edit or message). ``cooked`` is the post as rendered (for its links and
    mentions); ``topic`` is where a reply goes (the duplicate check looks elsewhere)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    rules = compiled_rules()
    result = Screening(text=rules.replace(text), title=rules.replace(title))
    if permissions.is_staff(author):
        return result
    scanned = for_matching(f"{result.title}\n{result.text}")
    for matched, _rule in rules.matches(WordAction.BLOCK, scanned):
        result.blocked.append(_("“%(word)s” is not allowed here.") % {"word": matched})
    html = cooked.html if cooked is not None else markdown.render(result.text)
    if rules.domains and (domain := rules.blocked_domain(linked_hosts(scanned, html))):
        result.blocked.append(
            _("Links to “%(domain)s” are not allowed here.") % {"domain": display_domain(domain)}
        )
    if kind in {TOPIC, REPLY} and (elsewhere := _duplicate_of(author, result.text, topic)):
        hours = settings.MODERATION_DUPLICATE_WINDOW_HOURS
        result.blocked.append(
            ngettext(
                "You posted the same text in “%(topic)s” less than %(hours)d hour ago.",
                "You posted the same text in “%(topic)s” less than %(hours)d hours ago.",
                hours,
            )
            % {"topic": elsewhere, "hours": hours}
        )
    hits = 0
    for action, target in ((WordAction.APPROVE, result.hold), (WordAction.FLAG, result.flag)):
        for matched, _rule in rules.matches(action, scanned):
            target.append(_signal("watched_word", matched))
            hits += 1
    links, images = _counts(html)
    mentions = len(cooked.mentions) if cooked is not None else 0
    config = moderation_settings()
    result.hold += [
        _signal("new_member_limit", over)
        for over in _limits_exceeded(author, config, links, images, mentions)
    ]
    first = config.approve_first_posts if kind in {TOPIC, REPLY} else 0
    if first and Post.objects.filter(author=author, deleted_at__isnull=True).count() < first:
        result.hold.append(_signal("first_posts", _("one of the first posts of an account")))
    verdict = spam_score(
        author, f"{result.title}\n{result.text}", kind, links=links, mentions=mentions,
        word_hits=hits,
    )  # fmt: skip
    result.spam_score, result.spam_reasons = verdict.score, verdict.reasons
    detail = f"{verdict.score:.2f}: {', '.join(verdict.reasons)}"
    if verdict.score >= settings.MODERATION_SPAM_HOLD:
        result.hold.append(_signal("spam_score", detail))
    elif verdict.score >= settings.MODERATION_SPAM_FLAG:
        result.flag.append(_signal("spam_score", detail))
    if kind in {EDIT, MESSAGE}:  # published at once: what would hold a new post flags it
        result.flag, result.hold = result.hold + result.flag, []
    return result


def screen(
    author: User,
    *,
    text: str,
    title: str = "",
    kind: str,
    cooked: Cooked | None = None,
    topic: Topic | None = None,
) -> Screening:
    """``evaluate``, refusing a blocked text with a ValidationError naming what matched."""
    result = evaluate(author, text=text, title=title, kind=kind, cooked=cooked, topic=topic)
    if result.blocked:
        raise ValidationError({"body": result.blocked})
    return result
