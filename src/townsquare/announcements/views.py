"""Managers' pages of announcements (/manage/announcements/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.announcements import actions, queries, rendering, segments
from townsquare.announcements.forms import AnnouncementForm, SegmentForm
from townsquare.announcements.models import Announcement, Status
from townsquare.core import permissions
from townsquare.core.forms import apply_errors, flash_errors
from townsquare.core.queries import community_for


def _require(request: HttpRequest) -> None:
    permissions.require(permissions.may_send_announcements(request.user))


def _groups(request: HttpRequest):
    return permissions.visible_groups(request.user, community_for(request))


def _announcement(announcement_id: int) -> Announcement:
    return get_object_or_404(
        Announcement.objects.select_related("segment_group"), pk=announcement_id
    )


@login_required
def announcement_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    return render(
        request, "announcements/list.html", {"announcements": list(queries.with_counts())}
    )


@login_required
def announcement_form(request: HttpRequest, announcement_id: int | None = None) -> HttpResponse:
    _require(request)
    announcement = _announcement(announcement_id) if announcement_id else None
    if announcement is not None and not announcement.is_draft:
        return redirect("announcements:progress", announcement.pk)
    initial = (
        {field: getattr(announcement, field) for field in actions.FIELDS} if announcement else {}
    )
    form = AnnouncementForm(request.POST or None, initial=initial, groups=_groups(request))
    if request.method == "POST" and form.is_valid():
        try:
            if announcement is None:
                announcement = actions.create_announcement(request.user, **form.cleaned_data)
            else:
                actions.update_announcement(request.user, announcement, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The announcement is saved."))
            return redirect("announcements:preview", announcement.pk)
    context = {
        "form": form,
        "announcement": announcement,
        "field_names": segments.custom_field_names(),
        "reach": segments.reach(announcement) if announcement is not None else None,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "announcements/form.html", context, status=status)


@login_required
def recipient_count(request: HttpRequest) -> HttpResponse:
    """The live count under the segment fields (htmx, from the form's current values)."""
    _require(request)
    form = SegmentForm(request.GET, groups=_groups(request))
    context: dict = {"reach": None}
    if form.is_valid():
        values = dict(form.cleaned_data)
        group = values.pop("segment_group")
        context["reach"] = segments.reach(
            segments.SegmentValues(segment_group_id=group.pk if group else None, **values)
        )
    else:
        context["problem"] = next(iter(form.errors.values()))[0]
    return render(request, "announcements/_count.html", context)


@login_required
@require_POST
def announcement_delete(request: HttpRequest, announcement_id: int) -> HttpResponse:
    _require(request)
    try:
        actions.delete_announcement(request.user, _announcement(announcement_id))
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("The draft is deleted."))
    return redirect("announcements:list")


@login_required
def preview(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """The mail exactly as it is composed for the manager: subject, HTML and text."""
    _require(request)
    announcement = _announcement(announcement_id)
    context: dict = {"announcement": announcement, "reach": None}
    try:
        message = rendering.compose(request.user, announcement)
    except ValueError as error:
        context["error"] = str(error)
    else:
        context.update(subject=message.subject, html=message.alternatives[0][0], text=message.body)
    if announcement.is_draft:
        context["reach"] = segments.reach(announcement)
    return render(request, "announcements/preview.html", context)


@login_required
@require_POST
def send_test(request: HttpRequest, announcement_id: int) -> HttpResponse:
    _require(request)
    announcement = _announcement(announcement_id)
    try:
        actions.send_test(request.user, announcement)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(
            request, _("A test mail is on its way to %(email)s.") % {"email": request.user.email}
        )
    return redirect("announcements:preview", announcement.pk)


@login_required
def send(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """GET: the confirmation, with the count; POST: send it."""
    _require(request)
    announcement = _announcement(announcement_id)
    if not announcement.is_draft:
        return redirect("announcements:progress", announcement.pk)
    if request.method == "POST":
        try:
            actions.send_announcement(request.user, announcement)
        except ValidationError as error:
            flash_errors(request, error)
        else:
            messages.success(request, _("The announcement is on its way."))
            return redirect("announcements:progress", announcement.pk)
    context = {"announcement": announcement, "reach": segments.reach(announcement)}
    return render(request, "announcements/send.html", context)


@login_required
def progress(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """Counts and failures; the htmx request gets the part that refreshes itself while
    the announcement is sending."""
    _require(request)
    announcement = _announcement(announcement_id)
    if announcement.is_draft:
        return redirect("announcements:preview", announcement.pk)
    counts = queries.delivery_counts(announcement)
    context = {
        "announcement": announcement,
        "counts": counts,
        "done": counts["sent"] + counts["failed"] + counts["skipped"],
        "skip_reasons": queries.skip_reasons(announcement),
        "failures": queries.failures(announcement),
        "sending": announcement.status == Status.SENDING,
    }
    template = "announcements/_progress.html" if request.htmx else "announcements/progress.html"
    return render(request, template, context)


@login_required
@require_POST
def resume(request: HttpRequest, announcement_id: int) -> HttpResponse:
    """Queue the deliveries still waiting again (jobs lost with a broker)."""
    _require(request)
    announcement = _announcement(announcement_id)
    if announcement.status == Status.SENDING:
        actions.resume(announcement)
        messages.success(request, _("The remaining mails are queued again."))
    return redirect("announcements:progress", announcement.pk)
