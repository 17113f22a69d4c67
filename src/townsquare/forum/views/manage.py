"""Managers' pages: categories and the calendar of scheduled discussion prompts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.forms import apply_errors
from townsquare.core.queries import community_for
from townsquare.forum import actions
from townsquare.forum.forms import CategoryForm, ScheduleForm, split_tags
from townsquare.forum.models import Category, ScheduledTopic
from townsquare.forum.views.common import error_text


@login_required
def categories(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.may_manage_categories(request.user))
    rows = Category.objects.select_related("parent").prefetch_related("read_groups")
    top = [c for c in rows if c.parent_id is None]
    children: dict[int, list[Category]] = {}
    for category in rows:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    ordered = [(c, children.get(c.pk, [])) for c in top]
    return render(request, "forum/manage_categories.html", {"categories": ordered})


@login_required
def category_form(request: HttpRequest, category_id: int | None = None) -> HttpResponse:
    permissions.require(permissions.may_manage_categories(request.user))
    category = get_object_or_404(Category, pk=category_id) if category_id else None
    parents = Category.objects.filter(parent__isnull=True)
    if category is not None:
        parents = parents.exclude(pk=category.pk)
        initial = {
            field: getattr(category, field)
            for field in ("name", "slug", "description", "kind", "color", "position",
                          "read_access", "topic_access", "reply_access")
        } | {
            "parent": category.parent_id,
            "read_groups": list(category.read_groups.all()),
            "topic_groups": list(category.topic_groups.all()),
            "reply_groups": list(category.reply_groups.all()),
        }  # fmt: skip
    else:
        initial = {"color": "#1f5fbf", "position": Category.objects.count()}
    form = CategoryForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if category is None:
                category = actions.create_category(request.user, **data)
            else:
                actions.update_category(request.user, category, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("The category “%(name)s” is saved.") % {"name": data["name"]}
            )
            return redirect("forum:manage_categories")
    return render(request, "forum/category_form.html", {"form": form, "category": category})


@login_required
@require_POST
def category_delete(request: HttpRequest, category_id: int) -> HttpResponse:
    permissions.require(permissions.may_manage_categories(request.user))
    category = get_object_or_404(Category, pk=category_id)
    try:
        actions.delete_category(request.user, category)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The category is deleted."))
    return redirect("forum:manage_categories")


@login_required
def scheduled(request: HttpRequest) -> HttpResponse:
    """What is coming: the content calendar of discussion prompts."""
    permissions.require(permissions.may_schedule_topics(request.user))
    rows = ScheduledTopic.objects.select_related("category", "created_by", "last_topic")
    upcoming = [row for row in rows if row.next_publish_at is not None]
    done = [row for row in rows.order_by("-created_at") if row.next_publish_at is None][:50]
    upcoming.sort(key=lambda row: row.next_publish_at)
    return render(
        request,
        "forum/scheduled.html",
        {"upcoming": upcoming, "done": done, "now": timezone.now()},
    )


def _schedulable_categories(request: HttpRequest):
    community, user = community_for(request), request.user
    visible = permissions.visible_categories(user, community).select_related("parent")
    allowed = [c.pk for c in visible if permissions.may_start_topic(user, community, c)]
    return visible.filter(pk__in=allowed)


@login_required
def schedule_form(request: HttpRequest, scheduled_id: int | None = None) -> HttpResponse:
    permissions.require(permissions.may_schedule_topics(request.user))
    scheduled_topic = get_object_or_404(ScheduledTopic, pk=scheduled_id) if scheduled_id else None
    initial = {"timezone": request.user.timezone}
    if scheduled_topic is not None:
        zone = timezone.get_current_timezone()
        initial = {
            "category": scheduled_topic.category_id,
            "title": scheduled_topic.title,
            "body": scheduled_topic.body,
            "tags": " ".join(scheduled_topic.tags),
            "host_name": scheduled_topic.host_name,
            "publish_at": (
                scheduled_topic.next_publish_at or scheduled_topic.first_publish_at
            ).astimezone(zone),
            "timezone": scheduled_topic.timezone,
            "recurrence": scheduled_topic.recurrence,
        }
    form = ScheduleForm(
        request.POST or None, categories=_schedulable_categories(request), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["tags"] = split_tags(data["tags"])
        try:
            if scheduled_topic is None:
                actions.schedule_topic(request.user, **data)
            else:
                actions.update_schedule(request.user, scheduled_topic, **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The discussion prompt is scheduled."))
            return redirect("forum:scheduled")
    return render(request, "forum/schedule_form.html", {"form": form, "scheduled": scheduled_topic})


@login_required
@require_POST
def schedule_cancel(request: HttpRequest, scheduled_id: int) -> HttpResponse:
    permissions.require(permissions.may_schedule_topics(request.user))
    actions.cancel_schedule(request.user, get_object_or_404(ScheduledTopic, pk=scheduled_id))
    messages.success(request, _("The scheduled prompt is cancelled."))
    return redirect("forum:scheduled")
