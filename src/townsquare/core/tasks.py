import base64
from email import message_from_bytes
from email.message import Message

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage, MIMEMixin


class _WireMessage(MIMEMixin, Message):
    """A parsed message that serialises the way Django's mail backends expect."""


class _ComposedMessage(EmailMessage):
    """A message composed earlier, sent exactly as it was built."""

    def __init__(self, wire: bytes, sender: str, recipients: list[str]) -> None:
        super().__init__(from_email=sender, to=recipients)
        self._wire = wire

    def message(self, **kwargs: object) -> Message:  # type: ignore[override]
        return message_from_bytes(self._wire, _class=_WireMessage)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=3600, max_retries=12)
def deliver_email(wire: str, sender: str, recipients: list[str]) -> int:
    """Hand one composed message to the configured mail server; retried on failure."""
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    return connection.send_messages([_ComposedMessage(base64.b64decode(wire), sender, recipients)])


@shared_task
def analyze_database() -> float | None:
    """Daily: refresh the database's planner statistics (core.maintenance)."""
    from townsquare.core.maintenance import analyze_database as analyze

    return analyze()
