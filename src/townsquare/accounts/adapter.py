from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.forms import BaseForm
from django.http import HttpRequest

from townsquare.accounts import actions
from townsquare.accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up goes through accounts.actions.register_member, like every other write."""

    def save_user(
        self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True
    ) -> User:
        data = form.cleaned_data
        return actions.register_member(
            email=data["email"],
            handle=data["handle"],
            display_name=data["display_name"],
            password=data.get("password1"),
            language=getattr(request, "LANGUAGE_CODE", "en"),
            timezone_name=data.get("timezone") or "UTC",
        )
