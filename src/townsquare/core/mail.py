"""Outgoing mail goes through a background job, so a slow mail server never slows a page
and a failed delivery is retried instead of lost."""

import base64
import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """Each message becomes a ``deliver_email`` job when the transaction commits. Several
    messages handed over in one call (a batch job's mails: the digest) become one
    ``deliver_emails`` job per BATCH_SIZE of them, sent over one connection to the mail
    server: a job and an SMTP session per mail was most of the digest's cost."""

    BATCH_SIZE = 100

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from townsquare.core.tasks import deliver_email, deliver_emails

        # Composed now (templates, translations, headers), delivered by the job.
        wires = [
            [
                base64.b64encode(message.message().as_bytes()).decode("ascii"),
                message.from_email,
                list(message.recipients()),
            ]
            for message in email_messages
        ]
        if len(wires) == 1:
            wire, sender, recipients = wires[0]
            transaction.on_commit(lambda: deliver_email.delay(wire, sender, recipients))
            return 1
        for start in range(0, len(wires), self.BATCH_SIZE):
            chunk = wires[start : start + self.BATCH_SIZE]
            transaction.on_commit(lambda chunk=chunk: deliver_emails.delay(chunk))
        return len(wires)


# --- Addresses that bounce ---------------------------------------------------------------


def record_refusals(refused: dict[str, tuple[int, bytes]]) -> None:
    """Count a permanent refusal (5xx) for each address; mark those past the threshold."""
    from townsquare.core.models import MailboxStatus

    now = timezone.now()
    for address, (code, reason) in refused.items():
        with transaction.atomic():
            status, _ = MailboxStatus.objects.select_for_update().get_or_create(
                email=address.strip().lower()
            )
            status.failures += 1
            status.last_error = f"{code} {reason.decode('utf-8', 'replace')}"[:1000]
            status.last_failure_at = now
            if status.failures >= settings.EMAIL_BOUNCE_THRESHOLD and not status.bouncing_since:
                status.bouncing_since = now
                logger.warning("Mail to %s keeps bouncing; stopped mailing it", address)
            status.save()


def record_delivered(addresses: Iterable[str]) -> None:
    """The server accepted mail for these addresses: whatever failed before is forgotten."""
    from townsquare.core.models import MailboxStatus

    MailboxStatus.objects.filter(
        email__in=[address.strip().lower() for address in addresses], failures__gt=0
    ).update(failures=0, bouncing_since=None)


def bouncing(addresses: Iterable[str]) -> set[str]:
    """Which of these addresses (lower case) are marked as bouncing."""
    from townsquare.core.models import MailboxStatus

    return set(
        MailboxStatus.objects.filter(
            email__in=[address.strip().lower() for address in addresses],
            bouncing_since__isnull=False,
        ).values_list("email", flat=True)
    )


def retry_address(address: str) -> None:
    """The member says their address works again: mail it until it bounces anew."""
    from townsquare.core.models import MailboxStatus

    MailboxStatus.objects.filter(email=address.strip().lower()).delete()
