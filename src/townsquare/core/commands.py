"""Shared by the account-creating management commands."""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from townsquare.accounts import actions
from townsquare.accounts.models import User


@transaction.atomic
def create_account(
    *, email: str, handle: str, display_name: str, password: str | None, role: str
) -> User:
    """An operator-made account with its email verified. The member accepts the
    guidelines at first sign-in, like everyone."""
    try:
        user = actions.register_member(
            email=email, handle=handle, display_name=display_name, password=password, role=role
        )
    except ValidationError as error:
        raise CommandError("; ".join(error.messages)) from error
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
