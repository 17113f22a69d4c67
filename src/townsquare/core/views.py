from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Role, User
from townsquare.core import actions, permissions
from townsquare.core.areas import OPEN, area
from townsquare.core.forms import (
    CommunitySettingsForm,
    GuidelinesForm,
    MissionForm,
    RoleForm,
    apply_errors,
)
from townsquare.core.models import FailedJob, GuidelinesVersion
from townsquare.core.queries import community_for, current_guidelines
from townsquare.events import queries as events_queries
from townsquare.forum import queries as forum_queries


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@area("home")
def home(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    newest = permissions.visible_members(request.user, community).order_by("-date_joined")[:8]
    latest = None
    if permissions.may_view_area(request.user, community, "forum"):
        latest = forum_queries.topic_list(request.user, community, limit=10)
    sessions = events_queries.next_sessions(request.user, community)
    return render(
        request,
        "core/home.html",
        {"newest_members": newest, "latest": latest, "next_sessions": sessions},
    )


@area(OPEN)
def guidelines(request: HttpRequest) -> HttpResponse:
    return render(request, "core/guidelines.html", {"version": current_guidelines()})


@area(OPEN)
def guidelines_version(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(GuidelinesVersion, version=number)
    return render(request, "core/guidelines.html", {"version": version, "is_history": True})


@area(OPEN)
def guidelines_history(request: HttpRequest) -> HttpResponse:
    versions = GuidelinesVersion.objects.only("version", "change_summary", "published_at").order_by(
        "-version"
    )
    return render(request, "core/guidelines_history.html", {"versions": versions})


@login_required
def guidelines_accept(request: HttpRequest) -> HttpResponse:
    version = current_guidelines()
    if version is None:
        return redirect("home")
    error = None
    if request.method == "POST":
        if request.POST.get("accept") == str(version.version):
            account_actions.accept_guidelines(request.user, version)
            return redirect(_safe_next(request))
        error = _("Please tick the box to accept the guidelines.")
    return render(
        request,
        "core/guidelines_accept.html",
        {"version": version, "next": _safe_next(request), "error": error},
    )


@area(OPEN)
@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    lines = ["User-agent: *"]
    if community.is_indexable:
        lines += [
            "Disallow: /settings/", "Disallow: /manage/", "Disallow: /accounts/",
            "Disallow: /search/", "Disallow: /new-topic/", "Disallow: /bookmarks/",
        ]  # fmt: skip
        lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    else:
        lines.append("Disallow: /")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@login_required
def manage_settings(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_manage(request.user))
    community = community_for(request)
    may_change = permissions.may_change_settings(request.user)
    settings_form = CommunitySettingsForm(
        request.POST if "save_settings" in request.POST else None,
        request.FILES or None,
        initial={
            "name": community.name,
            "tagline": community.tagline,
            "access_mode": community.access_mode,
            "public_areas": community.public_areas,
            "newcomers_group": community.newcomers_group_id,
            "newcomers_days": community.newcomers_days,
            "meetup_trust_level": community.meetup_trust_level,
        },
        prefix="settings",
    )
    mission_form = MissionForm(
        request.POST if "save_mission" in request.POST else None,
        initial={"mission": community.mission, "goals": community.goals},
        prefix="mission",
    )
    form = settings_form if "save_settings" in request.POST else mission_form
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        for number in ("newcomers_days", "meetup_trust_level"):
            if data.get(number, 0) is None:  # left empty: keep the current number
                del data[number]
        logo = None
        if form is settings_form:
            logo = False if data.pop("remove_logo") else data.pop("logo")
        try:
            actions.update_community(request.user, logo=logo, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The community settings are saved."))
            return redirect("manage_settings")
    return render(
        request,
        "core/manage_settings.html",
        {"settings_form": settings_form, "mission_form": mission_form, "may_change": may_change},
    )


@login_required
def manage_guidelines(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_edit_mission(request.user))
    current = current_guidelines()
    form = GuidelinesForm(request.POST or None, initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            version = actions.publish_guidelines(
                request.user, form.cleaned_data["body"], form.cleaned_data["change_summary"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(n)d of the guidelines is published.") % {"n": version.version},
            )
            return redirect("manage_guidelines")
    return render(request, "core/manage_guidelines.html", {"form": form, "current": current})


@login_required
def manage_roles(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_assign_roles(request.user))
    search = request.GET.get("q", "").strip()[:100]
    people = User.objects.filter(is_active=True).order_by("handle")
    if search:
        people = people.filter(handle__icontains=search) | people.filter(email__iexact=search)
    else:
        people = people.exclude(role=Role.MEMBER)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/manage_roles.html",
        {"page": page, "search": search, "roles": Role.choices},
    )


@login_required
@require_POST
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    permissions.require(permissions.may_assign_roles(request.user))
    member = get_object_or_404(User, pk=user_id, is_active=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        actions.assign_role(request.user, member, form.cleaned_data["role"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("@%(handle)s is now: %(role)s.")
            % {"handle": member.handle, "role": Role(form.cleaned_data["role"]).label},
        )
    return redirect(_safe_next(request, "/manage/roles/"))


@login_required
@require_GET
def manage_failed_jobs(request: HttpRequest) -> HttpResponse:
    """Failed background jobs, newest failure first; filter by task and status."""
    permissions.require(permissions.may_manage_jobs(request.user))
    task = request.GET.get("task", "")[:200]
    status = request.GET.get("status", FailedJob.Status.FAILED)
    failed = FailedJob.objects.defer("traceback", "args", "kwargs")
    if task:
        failed = failed.filter(task_name=task)
    if status in FailedJob.Status.values:
        failed = failed.filter(status=status)
    else:
        status = ""
    page = Paginator(failed, 50).get_page(request.GET.get("page"))
    task_names = FailedJob.objects.order_by("task_name").values_list("task_name", flat=True)
    return render(
        request,
        "core/manage_failed_jobs.html",
        {
            "page": page,
            "task": task,
            "status": status,
            "statuses": FailedJob.Status.choices,
            "task_names": list(task_names.distinct()),
        },
    )


@login_required
@require_GET
def failed_job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    permissions.require(permissions.may_manage_jobs(request.user))
    failed_job = get_object_or_404(FailedJob, pk=job_id)
    return render(request, "core/failed_job_detail.html", {"job": failed_job})


@login_required
@require_POST
def failed_job_action(request: HttpRequest, job_id: int, action: str) -> HttpResponse:
    permissions.require(permissions.may_manage_jobs(request.user))
    if action not in ("retry", "dismiss"):
        raise Http404
    failed_job = get_object_or_404(FailedJob, pk=job_id)
    try:
        if action == "retry":
            actions.retry_failed_job(request.user, failed_job)
            messages.success(request, _("The job was queued again."))
        else:
            actions.dismiss_failed_job(request.user, failed_job)
            messages.success(request, _("The job was dismissed."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_safe_next(request, f"/manage/jobs/{failed_job.pk}/"))
