"""Outgoing mail goes through a background job, so a slow mail server never slows a page
and a failed delivery is retried instead of lost."""

import base64
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from townsquare.core.tasks import deliver_email

        for message in email_messages:
            # Composed now (templates, translations, headers), delivered by the job.
            wire = base64.b64encode(message.message().as_bytes()).decode("ascii")
            recipients = list(message.recipients())
            transaction.on_commit(
                lambda wire=wire, recipients=recipients, sender=message.from_email: (
                    deliver_email.delay(wire, sender, recipients)
                )
            )
        return len(email_messages)
