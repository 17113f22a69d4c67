"""Watched words, blocked link domains and the approval setting: the defences staff tune.
Each change leaves one audit entry and makes every process recompile the rules."""

import csv
import io
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core import permissions
from townsquare.imports.csvfile import neutralize_formula, unneutralize_formula
from townsquare.moderation import audit
from townsquare.moderation.models import (
    BlockedDomain,
    MatchKind,
    ModerationSettings,
    WatchedWord,
    WordAction,
)
from townsquare.moderation.queries import moderation_settings
from townsquare.moderation.screening import check_regex, forget_rules, normalise_domain

CSV_COLUMNS = ["pattern", "match", "action", "replacement"]
IMPORT_MAX_ROWS = 2000


def _require(actor: User) -> None:
    if not permissions.may_manage_defences(actor):
        raise PermissionDenied


def _word_fields(word: WatchedWord) -> dict[str, str]:
    return {f: getattr(word, f) for f in ("pattern", "match", "action", "replacement")}


def clean_watched_word(pattern: str, match: str, action: str, replacement: str = "") -> dict:
    """The fields of a watched word, checked: ValidationError naming the field otherwise."""
    pattern = " ".join((pattern or "").split())
    replacement = (replacement or "").strip()
    if match not in MatchKind.values:
        raise ValidationError({"match": _("Choose how the word is matched.")})
    if action not in WordAction.values:
        raise ValidationError({"action": _("Choose what happens to a post with the word.")})
    if not pattern:
        raise ValidationError({"pattern": _("Write the word, phrase or pattern to watch.")})
    if len(pattern) > 200:
        raise ValidationError(
            {"pattern": _("A pattern has at most %(max)d characters.") % {"max": 200}}
        )
    if match == MatchKind.REGEX:
        try:
            check_regex(pattern)
        except ValidationError as error:
            raise ValidationError({"pattern": error.messages}) from None
    if action == WordAction.REPLACE and not replacement:
        raise ValidationError({"replacement": _("Write what the word is replaced with.")})
    if action != WordAction.REPLACE:
        replacement = ""
    return {"pattern": pattern, "match": match, "action": action, "replacement": replacement}


def _add(actor: User, fields: dict) -> WatchedWord:
    existing = WatchedWord.objects.filter(
        pattern__iexact=fields["pattern"], match=fields["match"]
    ).first()
    if existing is not None:
        raise ValidationError(
            {
                "pattern": _("“%(pattern)s” is already watched (%(action)s).")
                % {"pattern": existing.pattern, "action": existing.get_action_display()}
            }
        )
    word = WatchedWord.objects.create(created_by=actor, **fields)
    audit.record(actor, "watched_word.added", word, after=_word_fields(word))
    return word


@transaction.atomic
def add_watched_word(
    actor: User, *, pattern: str, match: str, action: str, replacement: str = ""
) -> WatchedWord:
    _require(actor)
    word = _add(actor, clean_watched_word(pattern, match, action, replacement))
    forget_rules()
    return word


@transaction.atomic
def remove_watched_word(actor: User, word: WatchedWord) -> None:
    _require(actor)
    before = _word_fields(word)
    audit.record(actor, "watched_word.removed", word, before=before)
    word.delete()
    forget_rules()


def export_watched_words() -> Iterator[str]:
    """Every watched word as CSV lines (pattern, match, action, replacement), which
    ``import_watched_words`` reads back."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for word in WatchedWord.objects.order_by("action", "pattern"):
        writer.writerow([neutralize_formula(value) for value in _word_fields(word).values()])
    yield "\ufeff" + out.getvalue()  # so spreadsheets open the file as UTF-8


@transaction.atomic
def import_watched_words(actor: User, content: str) -> tuple[int, int]:
    """Add the words of a CSV file (the export's columns; a file of one column is plain
    whole words to block). All or nothing: ValidationError lists every bad line. Words
    already watched are skipped. Returns (added, skipped)."""
    _require(actor)
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    if rows and [cell.strip().lower() for cell in rows[0]] == CSV_COLUMNS:
        rows = rows[1:]
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError(_("A file has at most %(max)d words.") % {"max": IMPORT_MAX_ROWS})
    cleaned, errors, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        cells = [unneutralize_formula(cell.strip()) for cell in row] + ["", "", ""]
        if not any(cells):
            continue
        pattern, match, action, replacement = cells[:4]
        try:
            fields = clean_watched_word(
                pattern, match or MatchKind.WHOLE, action or WordAction.BLOCK, replacement
            )
        except ValidationError as error:
            errors.append(
                _("Line %(line)d: %(error)s") % {"line": number, "error": " ".join(error.messages)}
            )
            continue
        key = (fields["pattern"].casefold(), fields["match"])
        if key not in seen:
            seen.add(key)
            cleaned.append(fields)
    if errors:
        raise ValidationError(errors)
    existing = {
        (pattern.casefold(), match)
        for pattern, match in WatchedWord.objects.values_list("pattern", "match")
    }
    added = [
        _add(actor, f) for f in cleaned if (f["pattern"].casefold(), f["match"]) not in existing
    ]
    if added:
        forget_rules()
    return len(added), len(cleaned) - len(added)


@transaction.atomic
def add_blocked_domain(actor: User, *, domain: str, note: str = "") -> BlockedDomain:
    """Block links to ``domain`` and its subdomains (stored in punycode, lower case)."""
    _require(actor)
    name = normalise_domain(domain)
    if BlockedDomain.objects.filter(domain=name).exists():
        raise ValidationError({"domain": _("“%(domain)s” is already blocked.") % {"domain": name}})
    blocked = BlockedDomain.objects.create(domain=name, note=note.strip()[:200], created_by=actor)
    audit.record(
        actor, "blocked_domain.added", blocked, after={"domain": name, "note": blocked.note}
    )
    forget_rules()
    return blocked


@transaction.atomic
def remove_blocked_domain(actor: User, blocked: BlockedDomain) -> None:
    _require(actor)
    audit.record(actor, "blocked_domain.removed", blocked, before={"domain": blocked.domain})
    blocked.delete()
    forget_rules()


@transaction.atomic
def update_moderation_settings(actor: User, **changes: int) -> ModerationSettings:
    """Change the community's moderation settings (e.g. approve_first_posts); one
    ``moderation_settings.changed`` entry with the fields before and after."""
    _require(actor)
    found = moderation_settings()
    found = ModerationSettings.objects.select_for_update().get(pk=found.pk)
    fields = {f.name for f in ModerationSettings._meta.concrete_fields} - {"id", "updated_at"}
    unknown = set(changes) - fields
    if unknown:
        raise ValueError(f"not moderation settings: {sorted(unknown)}")
    changed = {name: value for name, value in changes.items() if getattr(found, name) != value}
    if not changed:
        return found
    before = {name: getattr(found, name) for name in changed}
    for name, value in changed.items():
        setattr(found, name, value)
    found.full_clean()
    found.save()
    audit.record(actor, "moderation_settings.changed", found, before=before, after=changed)
    return found
