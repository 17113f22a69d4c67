"""Moderation in the JSON API: flags, the review queue and the audit log.
See docs/moderation.md."""

from ninja import Router

router = Router(tags=["moderation"])
