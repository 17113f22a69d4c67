"""A real SMTP server (aiosmtpd, in a thread) for every test that sends mail, and a way to
send through the job queue to it as production does. Fixtures are imported by the root
conftest, so any test can ask for ``smtp_server`` or ``smtp_delivery``."""

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from townsquare.celery import app as celery_app


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
    # Addresses (lower case) this server refuses for good, as a mailbox that does not exist.
    refused: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

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


@pytest.fixture
def smtp_delivery(settings, smtp_server):
    """Mail goes through the job queue to the test SMTP server, as in production."""
    # pytest-django swaps in the locmem backend; put the queued one back.
    settings.EMAIL_BACKEND = "townsquare.core.mail.QueuedEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    # Run the job in-process whatever CELERY_BROKER_URL the environment has.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield smtp_server
    finally:
        celery_app.conf.task_always_eager = eager
