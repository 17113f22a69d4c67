"""Fixtures for the end-to-end tests: a real Chromium (the SMTP server is in tests.smtp).

Chromium comes from the system (Debian's ``chromium`` package, or ``CHROMIUM=/path``); the
tests never download a browser, and fail (not skip) when there is none, so a CI run
without a browser cannot pass unnoticed.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_executable() -> str:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    path = Path(executable)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium is needed for the browser tests but {executable!r} is not an executable "
            "file. Install Debian's chromium (`apt-get install chromium`) or set CHROMIUM to "
            "a Chromium binary. Do not run `playwright install`.",
            pytrace=False,
        )
    return executable


@pytest.fixture
def page():
    """A Playwright page in a fresh Chromium context (English, Warsaw time)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except PlaywrightError as error:
            pytest.fail(f"Chromium at {executable!r} did not start: {error}", pytrace=False)
        context = browser.new_context(locale="en-US", timezone_id="Europe/Warsaw")
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
    finally:
        # While Playwright's sync API runs, the test thread is in another contextvars
        # context, and Django keeps connections per context: the test's queries opened a
        # connection that pytest-django never sees. Close it while it is still reachable,
        # or PostgreSQL refuses to drop the test database ("being accessed by other users").
        connections.close_all()
        playwright.stop()
