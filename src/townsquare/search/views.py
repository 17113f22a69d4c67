from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from townsquare.core.areas import area
from townsquare.core.forms import apply_errors
from townsquare.core.permissions import visible_categories
from townsquare.core.queries import community_for
from townsquare.search.forms import MAX_PAGES, PER_PAGE, SearchForm
from townsquare.search.limits import search_wait
from townsquare.search.queries import MAX_RESULTS, SearchResults, search


def _page_links(request: HttpRequest, current: int, last: int) -> list[tuple[int, str]]:
    """Page numbers around the current one, each with its address (the query kept)."""
    numbers = sorted({1, last, *range(max(1, current - 3), min(last, current + 3) + 1)})
    links = []
    for number in numbers:
        params = request.GET.copy()
        params["page"] = str(number)
        links.append((number, f"?{params.urlencode()}"))
    return links


@area("forum")
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    community = community_for(request)
    categories = list(
        visible_categories(request.user, community).order_by("position", "name", "id")
    )
    form = SearchForm(request.GET or None, categories=categories)
    results: SearchResults | None = None
    wait = None
    if form.is_bound and form.is_valid():
        arguments = form.search_arguments()
        if arguments is None:
            results = SearchResults(searched=True)
        elif arguments["query"].strip() or any(
            arguments[name] is not None
            for name in ("category", "tag", "author", "solved", "after", "before")
        ):
            wait = search_wait(request)
            if wait is None:
                try:
                    results = search(request.user, community, **arguments)
                except ValidationError as error:
                    apply_errors(form, error)
                    results = None
    context = {"form": form, "results": results, "wait": wait}
    if results is not None and results.searched:
        page = results.offset // PER_PAGE + 1
        last = min(-(-min(results.total, MAX_RESULTS) // PER_PAGE), MAX_PAGES)
        context |= {
            "page": page,
            "last_page": last,
            "page_links": _page_links(request, page, last) if last > 1 else [],
            "count_text": (
                ngettext("About %(count)s+ result", "About %(count)s+ results", results.total)
                if results.total_is_capped
                else ngettext("%(count)s result", "%(count)s results", results.total)
            )
            % {"count": number_format(results.total, force_grouping=True)},
        }
    return render(request, "search/search.html", context, status=429 if wait else 200)
