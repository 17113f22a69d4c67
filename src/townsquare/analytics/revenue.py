"""Revenue: CRM accounts of members active in the community against those of members who
were not, in a period. Read from CrmAccount and the DailyActiveMember aggregate (never
the raw log), in a fixed number of queries however many accounts (docs/metrics.md,
"Revenue")."""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from townsquare.analytics.models import AccountStatus, CrmAccount, DailyActiveMember
from townsquare.analytics.periods import Period, Row, Value
from townsquare.analytics.queries import analytics_settings


@dataclass(frozen=True)
class Side:
    """The accounts of one side (members active in the period, or not)."""

    accounts: int
    average_value: float | None  # None without accounts
    retention: float | None  # per cent of the accounts kept; None without accounts


@dataclass(frozen=True)
class Comparison:
    period: Period
    currency: str
    active: Side
    inactive: Side
    unmatched: int  # accounts matched to no member (all of them, whatever the period)
    other_currency: int  # accounts in another currency than the settings', left out

    @property
    def value_uplift(self) -> float | None:
        return uplift(self.active.average_value, self.inactive.average_value)

    @property
    def retention_uplift(self) -> float | None:
        return uplift(self.active.retention, self.inactive.retention)


def uplift(active: float | None, inactive: float | None) -> float | None:
    """(active − inactive) ÷ inactive × 100, to one decimal; None when inactive is 0 or
    either side has no accounts."""
    if active is None or not inactive:
        return None
    return round(100 * (active - inactive) / inactive, 1)


def customers_in(period: Period) -> Q:
    """Accounts that were customers during the period: started by its end (or start
    unknown), and not churned before it began."""
    started = Q(customer_since__isnull=True) | Q(customer_since__lte=period.end)
    not_gone = Q(churned_on__isnull=True) | Q(churned_on__gte=period.start)
    return started & not_gone


def retained_in(period: Period) -> Q:
    """Accounts still customers at the period's end. A churned account without a churn
    date counts as lost in every period."""
    return Q(status=AccountStatus.ACTIVE) | Q(churned_on__gt=period.end)


def compare(*periods: Period) -> list[Comparison]:
    """The comparison for each period: one grouped query per period, one for the
    unmatched accounts, and the settings' currency (a fixed number, whatever the size)."""
    currency = analytics_settings().currency
    counts = CrmAccount.objects.aggregate(
        unmatched=Count("pk", filter=Q(member__isnull=True)),
        other_currency=Count("pk", filter=~Q(currency=currency)),
    )
    found = []
    for period in periods:
        # Grouped by the flag, so each account's subquery runs once (an aggregate's
        # filter would repeat it in every aggregate).
        sides = (
            CrmAccount.objects.filter(customers_in(period), currency=currency, member__isnull=False)
            .annotate(
                active=Exists(
                    DailyActiveMember.objects.filter(
                        member_id=OuterRef("member_id"), day__range=(period.start, period.end)
                    )
                )
            )
            .values("active")
            .annotate(
                n=Count("pk"),
                value=Avg("account_value"),
                kept=Count("pk", filter=retained_in(period)),
            )
        )
        by_flag = {row["active"]: row for row in sides}
        found.append(
            Comparison(
                period=period,
                currency=currency,
                active=_side(by_flag.get(True)),
                inactive=_side(by_flag.get(False)),
                unmatched=counts["unmatched"],
                other_currency=counts["other_currency"],
            )
        )
    return found


def _side(row: dict | None) -> Side:
    if not row or not row["n"]:
        return Side(accounts=0, average_value=None, retention=None)
    return Side(
        accounts=row["n"],
        average_value=round(float(row["value"]), 2),
        retention=round(100 * row["kept"] / row["n"], 2),
    )


#: The headline figures: (metric key, label, definition, per cent, how from a Comparison).
FIGURES: list[tuple[str, Promise, Promise, bool, Callable[[Comparison], float | None]]] = [
    ("revenue_active_accounts", _("Accounts of active members"), _("CRM accounts matched to a member with at least one active day in the period (customers during the period)."), False, lambda c: c.active.accounts),  # noqa: E501
    ("revenue_inactive_accounts", _("Accounts of inactive members"), _("CRM accounts matched to a member with no active day in the period (customers during the period)."), False, lambda c: c.inactive.accounts),  # noqa: E501
    ("revenue_active_value", _("Average account value, active members"), _("Mean account value of the accounts of members active in the period."), False, lambda c: c.active.average_value),  # noqa: E501
    ("revenue_inactive_value", _("Average account value, inactive members"), _("Mean account value of the accounts of members not active in the period."), False, lambda c: c.inactive.average_value),  # noqa: E501
    ("revenue_uplift", _("Account value uplift"), _("(average value, active − average value, inactive) ÷ average value, inactive × 100."), True, lambda c: c.value_uplift),  # noqa: E501
    ("revenue_active_retention", _("Account retention, active members"), _("Of the accounts of active members, the share still customers at the period's end (not churned by then)."), True, lambda c: c.active.retention),  # noqa: E501
    ("revenue_inactive_retention", _("Account retention, inactive members"), _("Of the accounts of inactive members, the share still customers at the period's end."), True, lambda c: c.inactive.retention),  # noqa: E501
    ("revenue_retention_uplift", _("Retention uplift"), _("(retention, active − retention, inactive) ÷ retention, inactive × 100."), True, lambda c: c.retention_uplift),  # noqa: E501
]  # fmt: skip


def rows(current: Comparison, previous: Comparison) -> list[Row]:
    """The headline table: each figure now and in the previous period."""
    return [
        Row(str(label), read(current), read(previous), str(definition), percent, key)
        for key, label, definition, percent, read in FIGURES
    ]


def computer(key: str) -> Callable[[Period, Collection[int] | None], Value]:
    """``Metric.compute`` for a headline figure: the period's value, no daily series (an
    account's status is known as of the last import, not day by day). CRM accounts have
    no category, so a group or category filter answers None."""
    read = next(read for name, *_rest, read in FIGURES if name == key)

    def compute(period: Period, categories: Collection[int] | None) -> Value:
        if categories is not None:
            return Value()
        return Value(total=read(compare(period)[0]))

    return compute
