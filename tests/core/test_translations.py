"""The Chinese and Polish catalogs are complete and up to date with the source."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import townsquare

PACKAGE = Path(townsquare.__file__).parent
LANGUAGES = ["zh_Hans", "pl"]


def catalog(package: Path, language: str):
    with open(package / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    missing = [
        message.id
        for message in catalog(PACKAGE, language)
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders(language):
    """Babel's checks, which `make install` runs when it compiles the catalogs: a
    translation that drops or invents a placeholder fails at run time in that language."""
    po = catalog(PACKAGE, language)
    problems = [(message.id, str(error)) for message, errors in po.check() for error in errors]
    assert problems == []


def test_catalogs_hold_every_string_in_the_source(tmp_path):
    """Extract the strings again (GNU gettext) and compare with what is committed.

    ``-P`` keeps the copied package folder off sys.path, where its celery.py would shadow
    the celery library."""
    assert shutil.which("xgettext"), "GNU gettext is needed: apt-get install gettext"
    copy = tmp_path / "townsquare"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    result = subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "zh_Hans", "-l", "pl",
         "--no-location", "--no-obsolete", "--settings=townsquare.settings"],
        cwd=copy, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for language in LANGUAGES:
        extracted = {m.id for m in catalog(copy, language) if m.id}
        committed = {m.id for m in catalog(PACKAGE, language) if m.id}
        assert extracted - committed == set(), f"run `make messages` and translate ({language})"
