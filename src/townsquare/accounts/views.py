from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from townsquare.accounts import actions
from townsquare.accounts.forms import AccountForm, ApiTokenForm, ProfileForm
from townsquare.accounts.models import ApiToken
from townsquare.accounts.queries import directory
from townsquare.core.areas import OPEN, area
from townsquare.core.forms import apply_errors
from townsquare.core.permissions import visible_members
from townsquare.core.queries import community_for


@area(OPEN)
@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers a signed-in member's choice."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        actions.set_language(request.user, language)
    return set_language(request)


@area("members")
def member_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    members = directory(visible_members(request.user, community_for(request)), search)
    page = Paginator(members, 30).get_page(request.GET.get("page"))
    return render(request, "accounts/member_list.html", {"page": page, "search": search})


@area("members")
def member_detail(request: HttpRequest, handle: str) -> HttpResponse:
    members = directory(visible_members(request.user, community_for(request)))
    member = get_object_or_404(members, handle__iexact=handle)
    return render(request, "accounts/member_detail.html", {"member": member})


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = AccountForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "language": user.language,
            "timezone": user.timezone,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_account(
                user,
                user,
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
                timezone_name=form.cleaned_data["timezone"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your settings are saved."))
            return redirect("account_settings")
    return render(request, "accounts/settings_account.html", {"form": form})


@login_required
def profile_settings(request: HttpRequest) -> HttpResponse:
    profile = request.user.profile
    initial = {
        "bio": profile.bio,
        "company": profile.company,
        "job_title": profile.job_title,
        "location": profile.location,
        "expertise": ", ".join(t.name for t in profile.expertise.all()),
    }
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        avatar = False if data["remove_avatar"] else data["avatar"]
        try:
            actions.update_profile(
                request.user,
                request.user,
                bio=data["bio"],
                company=data["company"],
                job_title=data["job_title"],
                location=data["location"],
                expertise=data["expertise"],
                avatar=avatar,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("profile_settings")
    return render(request, "accounts/settings_profile.html", {"form": form, "profile": profile})


@login_required
def token_settings(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = actions.create_api_token(
                request.user, request.user, form.cleaned_data["name"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = ApiTokenForm()
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/settings_tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    actions.revoke_api_token(request.user, token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("token_settings")
