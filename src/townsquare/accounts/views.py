from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from townsquare.accounts import actions, privacy, queries
from townsquare.accounts.forms import (
    AccountForm,
    ApiTokenForm,
    DeleteAccountForm,
    DeleteMemberForm,
    DirectoryForm,
    ProfileForm,
    visibility_field,
)
from townsquare.accounts.models import PROFILE_FIELDS, ApiToken, DataExport, User
from townsquare.core import permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for

DIRECTORY_PAGE_SIZE = 30


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
    community = community_for(request)
    groups = list(permissions.visible_groups(request.user, community).only("slug", "name"))
    form = DirectoryForm(request.GET, groups)
    if form.is_valid():
        members = queries.search_members(request.user, community, form.filters())
    else:  # say what is wrong, keep what was typed, and show no guess
        members = User.objects.none()
    page = Paginator(members, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.show_fields(request.user, list(page.object_list))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "accounts/member_list.html",
        {"page": page, "form": form, "query_string": filters.urlencode()},
    )


def _visible_member(request: HttpRequest, handle: str) -> User:
    members = queries.directory(permissions.visible_members(request.user, community_for(request)))
    return get_object_or_404(members, handle__iexact=handle)


@area("members")
def member_detail(request: HttpRequest, handle: str) -> HttpResponse:
    community = community_for(request)
    member = _visible_member(request, handle)
    queries.show_fields(request.user, [member])
    followers, following = queries.follow_state(request.user, member)
    return render(
        request,
        "accounts/member_detail.html",
        {
            "member": member,
            "activity": queries.profile_activity(request.user, community, member),
            "groups": queries.member_groups(request.user, community, member),
            "followers": followers,
            "following": following,
            "may_follow": permissions.may_follow(request.user, member),
            "may_review": permissions.may_review(request.user),
            "may_delete": request.user.pk != member.pk
            and permissions.may_delete_member(request.user, member),
        },
    )


@area("members")
@require_POST
def follow_member(request: HttpRequest, handle: str) -> HttpResponse:
    return _change_follow(request, handle, follow=True)


@area("members")
@require_POST
def unfollow_member(request: HttpRequest, handle: str) -> HttpResponse:
    return _change_follow(request, handle, follow=False)


def _change_follow(request: HttpRequest, handle: str, *, follow: bool) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = _visible_member(request, handle)
    try:
        if follow:
            actions.follow(request.user, member)
        else:
            actions.unfollow(request.user, member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        followers, following = queries.follow_state(request.user, member)
        return render(
            request,
            "accounts/follow_button.html",
            {
                "member": member,
                "followers": followers,
                "following": following,
                "may_follow": permissions.may_follow(request.user, member),
            },
        )
    return redirect("member_detail", member.handle)


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
    } | {visibility_field(name): profile.audience(name) for name in PROFILE_FIELDS}
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
                field_visibility=form.field_visibility(),
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


# --- Members' data: export and account deletion (accounts.privacy) ------------------------


def _data_page(request: HttpRequest, delete_form: DeleteAccountForm, status: int = 200):
    return render(
        request,
        "accounts/settings_data.html",
        {
            "export": privacy.latest_export(request.user),
            "delete_form": delete_form,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
def data_settings(request: HttpRequest) -> HttpResponse:
    """Your data: ask for a copy of it, download it, or delete the account."""
    if request.method == "POST":
        try:
            privacy.request_export(request.user, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("We are preparing your data; we will email you when it is ready.")
            )
        return redirect("data_settings")
    return _data_page(request, DeleteAccountForm())


@login_required
def download_data_export(request: HttpRequest, export_id: int) -> FileResponse:
    export = DataExport.objects.select_related("member").filter(pk=export_id).first()
    if (
        export is None
        or not permissions.may_download_export(request.user, export)
        or export.status != DataExport.Status.READY
        or export.expires_at <= timezone.now()
    ):
        raise Http404  # someone else's export answers like one that does not exist
    name = f"data-{request.user.pk}-{export.finished_at:%Y%m%d}.zip"
    response = FileResponse(export.file.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def delete_own_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST)
    if form.is_valid():
        try:
            privacy.delete_account(
                request.user,
                request.user,
                posts=form.cleaned_data["posts"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            # Not logout(): that records a "logged out" event for an account that is gone.
            request.session.flush()
            request.user = AnonymousUser()
            messages.success(request, _("Your account is deleted. Goodbye, and thank you."))
            return redirect("home")
    return _data_page(request, form, status=400)


@area("members")
def delete_member(request: HttpRequest, handle: str) -> HttpResponse:
    """An admin deletes a member's account at the member's request."""
    member = _visible_member(request, handle)
    if request.user.pk == member.pk or not permissions.may_delete_member(request.user, member):
        raise PermissionDenied
    form = DeleteMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.delete_account(
                request.user,
                member,
                posts=form.cleaned_data["posts"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("The account of %(member)s is deleted.")
                % {"member": privacy.former_label(member.pk)},
            )
            return redirect("member_list")
    return render(request, "accounts/member_delete.html", {"member": member, "form": form})
