"""The weekly report mailed to community managers and admins on Mondays (the job
``analytics.tasks.send_weekly_report``): the headline figures of the last seven UTC days
against the seven before, and what changed most, with a link to the dashboard.

Figures come from ``metrics.report`` (the daily aggregates), like the dashboard's, so the
mail and the dashboard never disagree. Each recipient gets it in their language, as a
mail of the "analytics_report" stream (one-click unsubscribe, a switch in the
notification settings), at most once per week: a job run twice, or redelivered, sends
nothing twice (``core.jobs.once`` per recipient and week).
"""

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townsquare.accounts.models import Role, User
from townsquare.analytics import metrics
from townsquare.analytics.periods import Period, Row
from townsquare.core import permissions
from townsquare.core.jobs import once
from townsquare.core.queries import get_community
from townsquare.notifications import email
from townsquare.notifications.models import Stream

logger = logging.getLogger(__name__)

TEMPLATE = "analytics/email/weekly_report"
DAYS = 7
#: The figures every report leads with, in this order.
HEADLINES = (
    "pageviews", "visitors", "dau", "mau", "dau_mau", "engagement_rate", "posts", "replies",
    "reactions", "new_members",
)  # fmt: skip
#: How many rises and falls "what changed most" lists.
MOST_CHANGED = 3
#: A change counts only from a base of at least this much in the week before: ten of a
#: count, or five points of a share, so 1 → 3 is not "+200 %".
MIN_BASE = 10
MIN_BASE_PERCENT = 5.0
#: Ratios derived from figures listed already; their moves repeat their parts'.
NOT_COMPARED = frozenset({"posts_per_active", "replies_per_active", "reactions_per_active"})


@dataclass(frozen=True)
class Report:
    period: Period
    previous: Period
    headlines: list[Row]
    risen: list[Row]
    fallen: list[Row]


def last_week(now: datetime) -> Period:
    """The seven UTC days that ended before ``now``'s day (Monday to Sunday on a Monday)."""
    return Period.ending(now.astimezone(UTC).date() - timedelta(days=1), DAYS)


def _comparable(row: Row) -> bool:
    if row.change is None or row.key in NOT_COMPARED or row.previous is None:
        return False
    return abs(row.previous) >= (MIN_BASE_PERCENT if row.percent else MIN_BASE)


def build(period: Period) -> Report:
    """The report of ``period`` against the period before, labelled in the active language
    (a fixed number of queries)."""
    tables = metrics.report(period)
    rows = [row for section in metrics.SECTIONS for row in tables[section]]
    by_key = {row.key: row for row in rows}
    headlines = [by_key[key] for key in HEADLINES if key in by_key]
    views = _("Page views")
    candidates = rows + [
        dataclasses.replace(row, label=f"{views}: {row.label}", key=f"source:{row.key}")
        for row in tables.get("sources", [])
    ]
    moving = [row for row in candidates if _comparable(row)]
    # Stable sorts: equal changes keep the dashboard's order.
    risen = sorted((r for r in moving if r.change > 0), key=lambda r: -r.change)
    fallen = sorted((r for r in moving if r.change < 0), key=lambda r: r.change)
    return Report(period, period.previous(), headlines, risen[:MOST_CHANGED], fallen[:MOST_CHANGED])


def recipients() -> list[User]:
    """Active members who may read the analytics (managers and admins)."""
    candidates = User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.MANAGER])
    return [user for user in candidates.order_by("pk") if permissions.may_view_analytics(user)]


def dashboard_url(period: Period) -> str:
    path = reverse("analytics:dashboard")
    return email.absolute(f"{path}?from={period.start:%Y-%m-%d}&to={period.end:%Y-%m-%d}")


def send(now: datetime | None = None) -> int:
    """Mail last week's report to every manager and admin who has not had it yet and
    receives the stream. Returns how many were mailed. A mail that cannot be built is
    logged, not marked as sent, and fails the job at the end (a failed job admins can
    retry; those mailed already are not mailed again)."""
    period = last_week(now or timezone.now())
    community = get_community()
    reports: dict[str, Report] = {}  # one per language, computed once
    sent, failed = 0, 0
    for user in email.mailable(recipients(), Stream.ANALYTICS_REPORT):
        try:
            if user.language not in reports:
                with translation.override(user.language):
                    reports[user.language] = build(period)
            message = email.compose(
                user,
                TEMPLATE,
                {"report": reports[user.language], "dashboard_url": dashboard_url(period)},
                stream=Stream.ANALYTICS_REPORT,
                community=community,
            )
        except Exception:
            logger.exception("The weekly report for member %s could not be built", user.pk)
            failed += 1
            continue
        with once(f"analytics-weekly:{period.end:%Y-%m-%d}:{user.pk}") as first:
            if first:
                message.send()  # queued: leaves through core.mail's delivery job
                sent += 1
    if failed:
        raise RuntimeError(f"{failed} weekly report(s) could not be built; see the log")
    return sent
