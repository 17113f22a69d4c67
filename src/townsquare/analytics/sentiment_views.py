"""/manage/analytics/sentiment/: the mood of the community's posts, read from the daily
sentiment sums; each table to CSV."""

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from townsquare.analytics import charts, sentiment_queries
from townsquare.analytics.sentiment_queries import MIN_THREAD_POSTS, Thread
from townsquare.analytics.views import analytics_filters, csv_table, query_without_format
from townsquare.core.queries import community_for
from townsquare.moderation.audit_log import safe_cell


def _threads_csv(request: HttpRequest, threads: list[Thread], name: str) -> HttpResponse:
    """The most negative threads as CSV, UTF-8 with a byte order mark, text cells made
    safe from formula injection."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Topic"), _("Address"), _("Scored posts"), _("Mean"), _("Negative")])
    for thread in threads:
        writer.writerow(
            [
                safe_cell(thread.topic.title),
                request.build_absolute_uri(thread.topic.get_absolute_url()),
                thread.posts,
                thread.mean,
                thread.negative,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def sentiment(request: HttpRequest) -> HttpResponse:
    filters = analytics_filters(request)
    period, categories = filters.period, filters.categories
    found = sentiment_queries.report(period, categories, request.user, community_for(request))
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "threads":
            name = f"analytics-threads-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
            return _threads_csv(request, found.threads, name)
        tables = {
            "sentiment": found.headline,
            "shares": found.shares,
            "categories": found.categories,
        }
        return csv_table(request, tables, period)
    previous = period.previous()
    trend = charts.line_chart(
        [
            charts.Series(
                _("This period"), sentiment_queries.series_with_gaps(found.current, period)
            ),
            charts.Series(
                _("Previous period"), sentiment_queries.series_with_gaps(found.previous, previous)
            ),
        ],
        title=_("Mean sentiment by day"),
        description=_("Each day's mean score of its posts, from −1 to +1; gaps: no posts."),
        y_label=_("Mean sentiment"),
    )
    shares_chart = charts.bar_chart(
        [(row.label, row.current) for row in found.shares if row.current is not None],
        title=_("Negative, neutral and positive posts"),
        description=_("Per cent of the period's scored posts."),
        value_label=_("Per cent"),
        label_heading=_("Sentiment"),
    )
    return render(
        request,
        "analytics/sentiment.html",
        filters.context
        | {
            "report": found,
            "trend": trend,
            "shares_chart": shares_chart,
            "min_posts": MIN_THREAD_POSTS,
            "recent": sentiment_queries.recent_period(period),
            "query": query_without_format(request),
        },
    )
