"""Topic lists, categories, tags and bookmarks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from townsquare.core import permissions
from townsquare.core.areas import area
from townsquare.core.queries import community_for
from townsquare.forum import actions, queries
from townsquare.forum.forms import LevelForm
from townsquare.forum.models import Category, NotificationLevel, Tag
from townsquare.forum.queries import PERIODS
from townsquare.forum.views.common import category_or_404, tag_or_404

# The tabs above every topic list: name -> (label, order, status filter).
TABS = {
    "latest": (gettext_lazy("Latest"), "latest", None),
    "new": (gettext_lazy("New"), "new", "new"),
    "unread": (gettext_lazy("Unread"), "latest", "unread"),
    "top": (gettext_lazy("Top"), "top", None),
    "unanswered": (gettext_lazy("Unanswered"), "latest", "unanswered"),
    "unsolved": (gettext_lazy("Unsolved"), "latest", "unsolved"),
}


def _render_list(
    request: HttpRequest,
    tab: str,
    *,
    category: Category | None = None,
    tag: Tag | None = None,
    template: str = "forum/topic_list.html",
    extra: dict | None = None,
) -> HttpResponse:
    community = community_for(request)
    _label, order, status = TABS.get(tab, TABS["latest"])
    period = request.GET.get("period", "week" if tab == "top" else "all")
    if period not in PERIODS:
        period = "all"
    cursor = request.GET.get("cursor") or None
    try:
        listing = queries.topic_list(
            request.user, community, order=order, period=period, category=category, tag=tag,
            status=status, cursor=cursor,
        )  # fmt: skip
    except ValidationError:
        return redirect(request.path)
    context = {
        "listing": listing,
        "tab": tab,
        "tabs": [(name, label) for name, (label, *_rest) in TABS.items()],
        "period": period,
        "periods": PERIODS,
        "category": category,
        "tag": tag,
        "levels": NotificationLevel.choices,
    }
    if request.htmx and cursor:
        return render(request, "forum/_topic_rows.html", context | {"topics": listing.topics})
    return render(request, template, context | (extra or {}))


@area("forum")
def topic_list(request: HttpRequest, tab: str = "latest") -> HttpResponse:
    return _render_list(request, tab)


@area("forum")
def category_list(request: HttpRequest) -> HttpResponse:
    categories = queries.category_list(request.user, community_for(request))
    return render(request, "forum/categories.html", {"categories": categories})


@area("forum")
def category_topics(request: HttpRequest, slug: str, tab: str = "latest") -> HttpResponse:
    category = category_or_404(request, slug)
    level = None
    if request.user.is_authenticated:
        setting = category.notification_settings.filter(user=request.user).first()
        level = setting.level if setting else NotificationLevel.NORMAL
    children = permissions.visible_categories(request.user, community_for(request)).filter(
        parent=category
    )
    return _render_list(
        request,
        tab,
        category=category,
        extra={
            "subcategories": children,
            "level": level,
            "feed_url": reverse("forum:category_feed_rss", args=[category.slug]),
        },
    )


@area("forum")
def tag_list(request: HttpRequest) -> HttpResponse:
    tags = queries.visible_tags(request.user, community_for(request))
    return render(request, "forum/tags.html", {"tags": tags})


@area("forum")
def tag_topics(request: HttpRequest, name: str) -> HttpResponse:
    tag = tag_or_404(request, name)
    tab = request.GET.get("tab", "latest")
    level = None
    if request.user.is_authenticated:
        setting = tag.notification_settings.filter(user=request.user).first()
        level = setting.level if setting else NotificationLevel.NORMAL
    return _render_list(
        request,
        tab,
        tag=tag,
        extra={"level": level, "feed_url": reverse("forum:tag_feed_rss", args=[tag.name])},
    )


@login_required
def reader_counts(request: HttpRequest) -> HttpResponse:
    """The New and Unread badges of the list tabs, fetched after the page has shown (the
    counts cost more than the list itself for members who have read a lot)."""
    counts = queries.reader_counts(request.user, community_for(request))
    return render(request, "forum/_reader_counts.html", {"counts": counts})


@login_required
def bookmark_list(request: HttpRequest) -> HttpResponse:
    bookmarks = queries.bookmarks(request.user, community_for(request))
    page = Paginator(bookmarks, 30).get_page(request.GET.get("page"))
    return render(request, "forum/bookmarks.html", {"page": page})


def _save_level(request: HttpRequest, set_level, target, saved: str) -> HttpResponse:
    form = LevelForm(request.POST)
    if form.is_valid():
        set_level(request.user, target, form.cleaned_data["level"])
        messages.success(request, saved)
    return redirect(target.get_absolute_url())


@login_required
@require_POST
def category_level(request: HttpRequest, slug: str) -> HttpResponse:
    return _save_level(
        request,
        actions.set_category_level,
        category_or_404(request, slug),
        _("Your notification level for this category is saved."),
    )


@login_required
@require_POST
def tag_level(request: HttpRequest, name: str) -> HttpResponse:
    return _save_level(
        request,
        actions.set_tag_level,
        tag_or_404(request, name),
        _("Your notification level for this tag is saved."),
    )
