"""Group pages: the list, a group's home, creating and editing, and the buttons that join,
ask, invite, answer, leave, remove and promote. Thin: the policy decides, groups.actions
changes, groups.queries reads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.accounts.models import User
from townsquare.core import permissions, ratelimit
from townsquare.core.areas import area
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.queries import community_for
from townsquare.groups import actions, queries
from townsquare.groups.forms import (
    CategoryAudienceForm,
    GroupForm,
    InviteForm,
    JoinRequestForm,
    RoleForm,
)
from townsquare.groups.models import Group, GroupKind, Invitation, JoinRequest
from townsquare.notifications import queries as notification_queries

# Email invitations reach people outside the community: a few per hour per member.
EMAIL_INVITES = ratelimit.Rate(limit=20, period=3600)
REQUESTS = ratelimit.Rate(limit=10, period=3600)


def _group_or_404(request: HttpRequest, slug: str) -> Group:
    group = queries.visible_group(request.user, community_for(request), slug)
    if group is None:
        raise Http404(_("No such group."))
    return group


@area("members")
def group_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in GroupKind.values:
        kind = ""
    groups = queries.group_list(request.user, community_for(request), kind)
    page = Paginator(groups, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "groups/group_list.html",
        {
            "page": page,
            "kind": kind,
            "kinds": GroupKind.choices,
            "may_create": permissions.may_create_group(request.user),
        },
    )


@area("members")
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_for(request)
    group = _group_or_404(request, slug)
    user = request.user
    may_manage = permissions.may_manage_group(user, group)
    members = Paginator(queries.memberships(group), 30).get_page(request.GET.get("page"))
    context = {
        "group": group,
        "members": members,
        "page": members,
        "owners": queries.owners(group),
        "topics": queries.latest_topics(user, community, group),
        "may_see_category": group.category_id is not None
        and permissions.may_view_category(user, community, group.category),
        "role": permissions.group_role(user, group),
        "may_join": permissions.may_join(user, group),
        "may_request": permissions.may_request(user, group),
        "may_leave": permissions.may_leave(user, group),
        "may_manage": may_manage,
        "may_change_roles": permissions.may_change_roles(user, group),
        "own_request": queries.own_request(user, group),
        "own_invitation": queries.own_invitation(user, group),
        "request_form": JoinRequestForm(),
        "notification_level": notification_queries.group_level(user, group.pk),
    }
    if may_manage:
        context["pending_requests"] = list(queries.pending_requests(group))
        context["pending_invitations"] = list(queries.pending_invitations(group))
        context["invite_form"] = InviteForm()
        context["role_form"] = RoleForm()
        if group.category_id is not None:
            context["audience_form"] = CategoryAudienceForm(
                initial={"audience": group.category.read_access}
            )
    return render(request, "groups/group_detail.html", context)


def _save_group_form(request: HttpRequest, form: GroupForm, group: Group | None) -> Group | None:
    data = dict(form.cleaned_data)
    remove_cover = data.pop("remove_cover")
    cover = data.pop("cover")
    try:
        if group is None:
            return actions.create_group(request.user, cover=cover, **data)
        if not data["policy"]:
            data["policy"] = actions.KIND_POLICIES[data["kind"]]
        return actions.update_group(
            request.user, group, cover=False if remove_cover else cover, **data
        )
    except ValidationError as error:
        apply_errors(form, error)
        return None


@area("members")
@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_create_group(request.user))
    form = GroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        group = _save_group_form(request, form, None)
        if group is not None:
            messages.success(request, _("The group is created."))
            return redirect(group.get_absolute_url())
    return render(request, "groups/group_form.html", {"form": form, "group": None})


@area("members")
@login_required
def group_edit(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_manage_group(request.user, group))
    initial = {
        field: getattr(group, field)
        for field in ("name", "slug", "description", "kind", "policy", "location")
    }
    form = GroupForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save_group_form(request, form, group)
        if saved is not None:
            messages.success(request, _("The group is saved."))
            return redirect(saved.get_absolute_url())
    return render(request, "groups/group_form.html", {"form": form, "group": group})


@area("members")
@login_required
@require_POST
def group_join(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    try:
        actions.join_group(request.user, group)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Welcome to the group."))
    return redirect(group.get_absolute_url())


@area("members")
@login_required
@require_POST
def group_request(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_request(request.user, group))
    form = JoinRequestForm(request.POST)
    wait = ratelimit.hit("group-request", ratelimit.client_key(request), REQUESTS)
    if wait is not None:
        messages.error(request, _("Too many requests; try again in a while."))
    elif form.is_valid():
        try:
            actions.request_to_join(request.user, group, form.cleaned_data["note"])
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("Your request is sent; the owners will answer."))
    else:
        messages.error(request, _("Keep the note under 500 characters."))
    return redirect(group.get_absolute_url())


@area("members")
@login_required
@require_POST
def group_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    join_request = queries.own_request(request.user, group)
    if join_request is not None:
        actions.withdraw_request(request.user, join_request)
    return redirect(group.get_absolute_url())


@area("members")
@login_required
@require_POST
def group_leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    try:
        actions.leave_group(request.user, group)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(group.get_absolute_url())
    messages.success(request, _("You have left the group."))
    # A secret group is gone from view once one is no longer in it.
    return redirect("groups:list")


@area("members")
@login_required
@require_POST
def group_decide(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_manage_group(request.user, group))
    join_request = get_object_or_404(JoinRequest, pk=request_id, group=group)
    approve = request.POST.get("decision") == "approve"
    try:
        actions.decide_request(request.user, join_request, approve)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        name = join_request.user.display_name
        messages.success(
            request,
            (_("%(name)s is now a member.") if approve else _("%(name)s's request is declined."))
            % {"name": name},
        )
    return redirect(group.get_absolute_url())


def invite_someone(request: HttpRequest, group: Group, who: str) -> Invitation:
    """Invite by @handle or by email (views and API share this). Raises ValidationError."""
    who = who.strip()
    if "@" in who.lstrip("@"):
        wait = ratelimit.hit("group-invite-email", ratelimit.client_key(request), EMAIL_INVITES)
        if wait is not None:
            raise ValidationError(
                {
                    "email": _("Too many invitations by email; try again in %(s)d seconds.")
                    % {"s": wait}
                }
            )
        return actions.invite_email(request.user, group, who, request.build_absolute_uri("/"))
    handle = who.lstrip("@")
    member = (
        permissions.visible_members(request.user, community_for(request))
        .filter(handle__iexact=handle)
        .first()
    )
    if member is None:
        raise ValidationError({"handle": _("No member has this handle.")})
    return actions.invite_member(request.user, group, member)


@area("members")
@login_required
@require_POST
def group_invite(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_invite(request.user, group))
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invite_someone(request, group, form.cleaned_data["who"])
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("The invitation is sent."))
    else:
        messages.error(request, _("Enter a member's handle or an email address."))
    return redirect(group.get_absolute_url())


@area("members")
@login_required
@require_POST
def group_invitation(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    group = _group_or_404(request, slug)
    invitation = get_object_or_404(Invitation, pk=invitation_id, group=group, user=request.user)
    accept = request.POST.get("answer") == "accept"
    try:
        actions.answer_invitation(request.user, invitation, accept)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(
            request, _("Welcome to the group.") if accept else _("The invitation is declined.")
        )
    return redirect(group.get_absolute_url() if accept else "groups:list")


@area("members")
@login_required
@require_POST
def group_member(request: HttpRequest, slug: str, handle: str) -> HttpResponse:
    """Remove a member, or change their role (``role`` in the form)."""
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_manage_group(request.user, group))
    member = get_object_or_404(User, handle__iexact=handle, group_memberships__group=group)
    try:
        if request.POST.get("remove"):
            actions.remove_member(request.user, group, member)
            messages.success(request, _("%(name)s is removed.") % {"name": member.display_name})
        else:
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose member, manager or owner."))
            actions.set_role(request.user, group, member, form.cleaned_data["role"])
            messages.success(request, _("The role is changed."))
    except ValidationError as error:
        flash_errors(request, error)
    return redirect(group.get_absolute_url())


@area("members")
@login_required
@require_POST
def group_category(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    permissions.require(permissions.may_change_roles(request.user, group))
    form = CategoryAudienceForm(request.POST)
    if form.is_valid():
        try:
            actions.set_category_audience(request.user, group, form.cleaned_data["audience"])
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("Who may read the discussions is saved."))
    return redirect(group.get_absolute_url())
