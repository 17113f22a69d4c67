import base64
import logging
import smtplib
from email import message_from_bytes
from email.message import Message

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage, MIMEMixin

from townsquare.core.jobs import job, once, prune_completed
from townsquare.core.mail import record_delivered, record_refusals
from townsquare.core.models import CompletedJob

logger = logging.getLogger(__name__)


class _WireMessage(MIMEMixin, Message):
    """A parsed message that serialises the way Django's mail backends expect."""


class _ComposedMessage(EmailMessage):
    """A message composed earlier, sent exactly as it was built."""

    def __init__(self, wire: bytes, sender: str, recipients: list[str]) -> None:
        super().__init__(from_email=sender, to=recipients)
        self._wire = wire

    def message(self, **kwargs: object) -> Message:  # type: ignore[override]
        return message_from_bytes(self._wire, _class=_WireMessage)


def _refused_for_good(error: smtplib.SMTPRecipientsRefused, recipients: list[str]) -> None:
    """All recipients refused: permanent refusals (5xx) are counted and logged, so a
    bouncing address stops being mailed; a temporary one (4xx) is raised to retry later."""
    refused = {
        address: answer for address, answer in error.recipients.items() if 500 <= answer[0] < 600
    }
    if len(refused) < len(error.recipients):
        raise error
    record_refusals(refused)
    logger.warning("Mail to %s refused for good: %s", recipients, error.recipients)


@job(max_attempts=13, backoff=30, backoff_max=3600, bind=True)
def deliver_email(task, wire: str, sender: str, recipients: list[str]) -> int:
    """Hand one composed message to the configured mail server; retried on failure.

    Sent at most once per job, even when the job is delivered again because its worker
    died after sending but before acknowledging (core.jobs.once).
    """
    with once(f"deliver_email:{task.request.id}") as first:
        if not first:
            return 0
        connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
        message = _ComposedMessage(base64.b64decode(wire), sender, recipients)
        try:
            sent = connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            _refused_for_good(error, recipients)
            return 0
        record_delivered(recipients)
        return sent


@job(max_attempts=13, backoff=30, backoff_max=3600, bind=True)
def deliver_emails(task, messages: list[list]) -> int:
    """Hand many composed messages (``[wire, sender, recipients]`` each) to the mail
    server over one connection: what ``deliver_email`` does for one, for a batch job's
    mails (the digest). Each message is sent at most once, even when the job is retried
    after a failure half-way or delivered again after its worker died: its own
    ``CompletedJob`` key is stored right after it is sent."""
    keys = [f"deliver_email:{task.request.id}:{index}" for index in range(len(messages))]
    done = set(CompletedJob.objects.filter(key__in=keys).values_list("key", flat=True))
    todo = [(key, message) for key, message in zip(keys, messages, strict=True) if key not in done]
    if not todo:
        return 0
    sent, delivered = 0, []
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    try:
        with connection:
            for key, (wire, sender, recipients) in todo:
                message = _ComposedMessage(base64.b64decode(wire), sender, recipients)
                try:
                    sent += connection.send_messages([message])
                    delivered += recipients
                except smtplib.SMTPRecipientsRefused as error:
                    _refused_for_good(error, recipients)
                CompletedJob.objects.get_or_create(key=key)
    finally:
        record_delivered(delivered)
    return sent


@job(max_attempts=3, backoff=600)
def prune_completed_jobs() -> int:
    """Daily: forget the keys of mail sent long ago (core.jobs.once)."""
    return prune_completed()


@job(max_attempts=3, backoff=600)
def analyze_database() -> float | None:
    """Daily: refresh the database's planner statistics (core.maintenance)."""
    from townsquare.core.maintenance import analyze_database as analyze

    return analyze()
