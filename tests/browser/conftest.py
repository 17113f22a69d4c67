"""Fixtures for the end-to-end tests: a real SMTP server and a real Chromium.

Chromium comes from the system (Debian's ``chromium`` package, or ``CHROMIUM=/path``); the
tests never download a browser, and fail (not skip) when there is none, so a CI run
without a browser cannot pass unnoticed.
"""

import email
import email.policy
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connections

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class MailCollector:
    """aiosmtpd handler: keeps every message it is given."""

    received: list[ReceivedMail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls this
        with self._lock:
            self.received.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    host: str
    port: int
    collector: MailCollector

    @property
    def received(self) -> list[ReceivedMail]:
        with self.collector._lock:
            return list(self.collector.received)

    def wait_for_mail(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Everything received, once there are ``count`` messages or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1, in a thread, collecting what it receives."""
    collector = MailCollector()
    host = "127.0.0.1"
    # aiosmtpd's Controller cannot listen on port 0 (it checks readiness by connecting to
    # the configured port), so pick a free port first.
    controller = Controller(collector, hostname=host, port=free_port(host), ready_timeout=10)
    controller.start()
    try:
        yield SMTPServer(host=host, port=controller.port, collector=collector)
    finally:
        controller.stop()


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
