"""The support page's facts at scale: rebuild, the hourly refresh, the page.

    PYTHONPATH=src .venv/bin/python bench/support.py --database-url sqlite:////tmp/support.db
    PYTHONPATH=src .venv/bin/python bench/support.py \
        --database-url postgres://postgres@127.0.0.1:5432/ts_bench_support

The database must be empty (a new SQLite file, or a new PostgreSQL database); it is
migrated. Then ``--questions`` questions (default 100,000: a year of a very busy support
community, about 270 a day) are written over the 365 UTC days before today in four Q&A
categories, bypassing the actions (bulk inserts of topics and posts with the values the
actions would write): 85 % get a first reply by another member after 10 minutes to 3
days, 20 % of those from staff, and 55 % an accepted answer. A few role changes are put in
the log. Measured, in this one process:

* ``rebuild``: ``support_rollup.refresh()`` — every question's facts, then the daily and
  monthly per-category sums the page reads;
* ``hourly``: a day's worth of new questions and replies (with their activity events),
  then ``support_rollup.refresh_touched`` over the new events;
* ``page``: GET /manage/analytics/support/ through the Django test client as a manager,
  for the last 30 and 365 days (7 runs each after one warm-up: median and max), and
  ``support.summary`` alone for 365 days (two queries: whole months, remaining days).

Results go to bench/results/support-<vendor><suffix>.json. With ``--facts-only`` the
questions are written straight into the fact table (no topics, posts or rebuild: a
minute instead of a quarter of an hour), then the daily sums are built and the page
timed; results in support-<vendor>-facts-only<suffix>.json.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BATCH = 5000


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def populate(questions: int, rng: random.Random) -> dict:
    from townsquare.accounts.models import Role, User
    from townsquare.core import actions as core_actions
    from townsquare.core.models import ActivityEvent
    from townsquare.forum.models import Category, CategoryKind, Post, Topic

    guidelines = core_actions.publish_guidelines(None, "## Be kind", "First")
    members = User.objects.bulk_create(
        [
            User(
                handle=f"m{n}",
                email=f"m{n}@example.com",
                display_name=f"Member {n}",
                guidelines_version=guidelines.version,
                role=Role.MODERATOR if n < 20 else Role.MEMBER,
            )
            for n in range(2000)
        ]
    )
    manager = User.objects.create(
        handle="maja",
        email="maja@example.com",
        display_name="Maja",
        role=Role.MANAGER,
        guidelines_version=guidelines.version,
    )
    staff, regular = members[:20], members[20:]
    for moderator in staff[:5]:  # five moderators stepped down during the year
        core_actions.assign_role(None, moderator, Role.MEMBER)
    categories = [
        Category.objects.create(name=f"Help {n}", slug=f"help-{n}", kind=CategoryKind.QA)
        for n in range(4)
    ]
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    written = {"topics": 0, "posts": 0}
    for first in range(0, questions, BATCH):
        size = min(BATCH, questions - first)
        topics = []
        for _n in range(size):
            asked = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
            topics.append(
                Topic(
                    category=rng.choice(categories),
                    title="How does this work?",
                    slug="how-does-this-work",
                    author=rng.choice(regular),
                    created_at=asked,
                    last_posted_at=asked,
                )
            )
        topics = Topic.objects.bulk_create(topics)
        posts, accepted = [], []
        for topic in topics:
            posts.append(
                Post(topic=topic, number=1, author=topic.author, body="?", body_html="<p>?</p>",
                     created_at=topic.created_at)
            )  # fmt: skip
            if rng.random() < 0.85:
                replier = rng.choice(staff) if rng.random() < 0.2 else rng.choice(regular)
                at = topic.created_at + timedelta(seconds=rng.uniform(600, 3 * 86400))
                reply = Post(topic=topic, number=2, author=replier, body="!", body_html="<p>!</p>",
                             created_at=at)  # fmt: skip
                posts.append(reply)
                if rng.random() < 0.55:
                    accepted.append((topic, reply, at + timedelta(hours=rng.uniform(1, 48))))
        Post.objects.bulk_create(posts)
        for topic, reply, solved in accepted:
            topic.accepted_post, topic.solved_at = reply, solved
        Topic.objects.bulk_update([t for t, _r, _s in accepted], ["accepted_post", "solved_at"])
        written["topics"] += len(topics)
        written["posts"] += len(posts)
    ActivityEvent.objects.create(verb="bench.populated")  # the watermark's starting point
    return {"manager": manager, "categories": categories, "regular": regular, **written}


def populate_facts(questions: int, rng: random.Random) -> dict:
    """``--facts-only``: the same questions written straight into the fact table (what
    the page reads), without topics and posts: minutes instead of a quarter of an hour,
    for measuring the page only."""
    from townsquare.accounts.models import Role, User
    from townsquare.analytics.models import QuestionFact
    from townsquare.core import actions as core_actions
    from townsquare.forum.models import Category, CategoryKind

    guidelines = core_actions.publish_guidelines(None, "## Be kind", "First")
    manager = User.objects.create(
        handle="maja",
        email="maja@example.com",
        display_name="Maja",
        role=Role.MANAGER,
        guidelines_version=guidelines.version,
    )
    categories = [
        Category.objects.create(name=f"Help {n}", slug=f"help-{n}", kind=CategoryKind.QA)
        for n in range(4)
    ]
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    facts = []
    for n in range(questions):
        asked = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        fact = QuestionFact(
            topic_id=n + 1,
            category_id=rng.choice(categories).pk,
            asked_at=asked,
            asked_on=asked.date(),
        )
        if rng.random() < 0.85:
            at = asked + timedelta(seconds=rng.uniform(600, 3 * 86400))
            fact.first_response_at = at
            fact.first_response_seconds = round((at - asked).total_seconds())
            fact.first_responder_staff = rng.random() < 0.2
            if rng.random() < 0.55:
                solved = at + timedelta(hours=rng.uniform(1, 48))
                fact.solved_at, fact.solved_on = solved, solved.date()
                fact.solution_seconds = round((solved - asked).total_seconds())
                fact.solver_staff = fact.first_responder_staff
        facts.append(fact)
    QuestionFact.objects.bulk_create(facts, batch_size=BATCH)
    return {"manager": manager, "categories": categories, "topics": 0, "posts": 0}


def hourly(ctx: dict, rng: random.Random) -> dict:
    """A day's worth of questions and replies (through the actions, as members write
    them), then the refresh of the questions their events touched."""
    from townsquare.analytics import support_rollup
    from townsquare.core.models import ActivityEvent
    from townsquare.forum.actions import posting

    since = ActivityEvent.objects.order_by("-id").values_list("id", flat=True).first()
    per_day = max(1, ctx["questions"] // 365)
    for _n in range(per_day):
        topic = posting.create_topic(
            None, rng.choice(ctx["categories"]), title="A new question today",
            body="How does it work?", author=rng.choice(ctx["regular"]),
        )  # fmt: skip
        posting.create_post(
            None, topic, body="Like this, I think.", author=rng.choice(ctx["regular"])
        )
    until = ActivityEvent.objects.order_by("-id").values_list("id", flat=True).first()
    seconds, written = timed(support_rollup.refresh_touched, since, until)
    return {"new_questions": per_day, "seconds": round(seconds, 3), "questions_refreshed": written}


def page(ctx: dict) -> dict:
    from django.test import Client

    from townsquare.analytics import support
    from townsquare.analytics.periods import Period

    client = Client()
    client.force_login(ctx["manager"])
    today = datetime.now(UTC).date()
    found = {}
    for days in (30, 365):
        query = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
        assert client.get("/manage/analytics/support/", query).status_code == 200
        runs = []
        for _n in range(7):
            seconds, response = timed(client.get, "/manage/analytics/support/", query)
            assert response.status_code == 200
            runs.append(seconds)
        found[f"page_{days}_days"] = {
            "median_ms": round(1000 * statistics.median(runs), 1),
            "max_ms": round(1000 * max(runs), 1),
        }
    period = Period(today - timedelta(days=364), today)
    seconds, figures = timed(support.summary, period)
    found["summary_365_days"] = {"questions": figures.asked, "ms": round(1000 * seconds, 1)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--suffix", default="", help="appended to the results file's name")
    parser.add_argument(
        "--facts-only",
        action="store_true",
        help="write the facts directly, then time the daily sums and the page only",
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    from django.db import connection

    from townsquare.analytics import support_rollup

    rng = random.Random(7)
    if args.facts_only:
        populate_seconds, ctx = timed(populate_facts, args.questions, rng)
        days_seconds, days = timed(support_rollup.refresh_days)
        result = {
            "database": connection.vendor,
            "questions": args.questions,
            "facts_only": True,
            "populate_seconds": round(populate_seconds, 1),
            "daily_sums": {"seconds": round(days_seconds, 3), "rows": days},
            **page(ctx),
        }
        out = RESULTS / f"support-{connection.vendor}-facts-only{args.suffix}.json"
        RESULTS.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    populate_seconds, ctx = timed(populate, args.questions, rng)
    ctx["questions"] = args.questions
    rebuild_seconds, written = timed(support_rollup.refresh)
    result = {
        "database": connection.vendor,
        "questions": args.questions,
        "topics": ctx["topics"],
        "posts": ctx["posts"],
        "populate_seconds": round(populate_seconds, 1),
        "rebuild": {"seconds": round(rebuild_seconds, 3), "questions": written},
        "hourly": hourly(ctx, rng),
        **page(ctx),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"support-{connection.vendor}{args.suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
