"""Activity events for what allauth does on our behalf (sign-in, sign-out, email, 2FA)."""

from typing import Any

from allauth.account.signals import email_confirmed
from django.contrib.auth.signals import user_logged_in, user_logged_out

from townsquare.core import activity


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    activity.record(user, "member.logged_in", user)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        activity.record(user, "member.logged_out", user)


def _email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    activity.record(email_address.user, "member.email_confirmed", email_address.user)


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="townsquare.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="townsquare.logged_out")
    email_confirmed.connect(_email_confirmed, dispatch_uid="townsquare.email_confirmed")
