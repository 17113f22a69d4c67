"""Demo CRM accounts: most demo members are customers, the more active ones worth a bit
more and churning less, so the revenue page shows a plausible uplift on first open; a
few CRM rows match no member, for the "fix them" list. Idempotent: nothing is added once
any CRM account exists."""

import random
from collections import Counter
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone

from townsquare.accounts.models import Role, User
from townsquare.analytics import crm_actions
from townsquare.analytics.models import CrmAccount
from townsquare.core.models import ActivityEvent

UNMATCHED = 5


def load() -> dict[str, int]:
    if CrmAccount.objects.exists():
        return {}
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return {}
    members = list(User.objects.filter(role=Role.MEMBER, is_active=True).order_by("pk"))
    if not members:
        return {}
    rng = random.Random(2026)  # the same demo every time
    activity = Counter(
        dict(
            ActivityEvent.objects.filter(actor__in=members)
            .values("actor_id")
            .annotate(n=Count("pk"))
            .values_list("actor_id", "n")
        )
    )
    busiest = max(activity.values(), default=0) or 1
    today = timezone.now().date()
    rows, customers = [], []
    for index, member in enumerate(members):
        if index % 7 == 3:
            continue  # not every member's company is a customer
        engaged = activity[member.pk] / busiest  # 0 … 1
        value = rng.lognormvariate(8.3, 0.55) * (1 + 0.6 * engaged)
        since = today - timedelta(days=rng.randint(120, 4 * 365))
        row = _row(f"CRM-{10000 + member.pk}", member.email, value, since, today)
        if rng.random() < 0.16 * (1 - engaged):  # quiet customers churn more
            row["status"] = "churned"
            row["churned_on"] = (today - timedelta(days=rng.randint(5, 200))).isoformat()
            if row["churned_on"] < row["customer_since"]:
                row["churned_on"] = row["customer_since"]
        rows.append(row)
        customers.append(member)
    for n in range(UNMATCHED):
        since = today - timedelta(days=rng.randint(200, 900))
        value = rng.lognormvariate(8.0, 0.5)
        rows.append(_row(f"CRM-9{n:04d}", f"buyer{n}@customer.example", value, since, today))
    crm_import, report = crm_actions.import_items(admin, rows)
    if crm_import is None:  # a bug in the rows above: say which, rather than load half
        raise ValueError(f"Demo CRM rows refused: {report.file_errors} {report.row_errors[:3]}")
    # Demo members have no confirmed address to match by: link them as a manager would.
    accounts = {account.crm_id: account for account in CrmAccount.objects.all()}
    links = [(accounts[f"CRM-{10000 + m.pk}"], m) for m in customers]
    linked = crm_actions.link_accounts(admin, links)
    return {"accounts": len(rows), "linked": linked, "unmatched": len(rows) - linked}


def _row(crm_id: str, email: str, value: float, since: date, today: date) -> dict:
    # The yearly renewal on the anniversary (28 February for a 29 February customer).
    renewal = date(today.year, since.month, min(since.day, 28) if since.month == 2 else since.day)
    if renewal <= today:
        renewal = renewal.replace(year=today.year + 1)
    return {
        "crm_id": crm_id,
        "email": email,
        "account_value": f"{value:.2f}",
        "customer_since": since.isoformat(),
        "renewal_date": renewal.isoformat(),
    }
