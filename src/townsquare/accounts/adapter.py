from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse

from townsquare.accounts import actions
from townsquare.accounts.models import User
from townsquare.core import permissions


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up goes through accounts.actions.register_member, like every other write.
    Suspended members are not signed in, by any way (password, code, confirmation link)."""

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        if permissions.is_suspended(user):
            from allauth.account.internal.stagekit import clear_login

            from townsquare.moderation.views.notices import suspended_page

            clear_login(request)
            return suspended_page(request, user)
        return super().pre_login(request, user, **kwargs)

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
