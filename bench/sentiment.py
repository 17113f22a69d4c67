"""How fast posts are scored for sentiment (analytics.sentiment), alone and into the database.

    PYTHONPATH=src .venv/bin/python bench/sentiment.py                    # SQLite and PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/sentiment.py --posts 10000 --databases postgresql

1. ``scorer``: ``sentiment.score_text`` over ``--posts`` generated posts (half English, a
   quarter Chinese, a quarter Polish; 20 to 80 words, or 40 to 160 characters in Chinese,
   drawn from sentiment-bearing and plain words), in one process, after loading the
   lexicons (timed apart): posts per second in all and per language.
2. For each database (made anew: the SQLite file deleted, the PostgreSQL database, whose
   name must start with ``ts_bench``, dropped and created), in a process of its own:
   ``--posts`` posts in topics of 20 posts over the last 365 days, bulk-created (BYPASSING
   THE ACTIONS, with the fields they would write); then ``sentiment_rollup.rebuild()``
   (score all, sum every day), the incremental ``score_recent()`` with nothing new (the
   comparison with the forum's tables that runs every hour), one with 1 % of the posts
   edited, and GET /manage/analytics/sentiment/ for the last 30 and 365 days (median of 7
   after a warm-up).

Results go to bench/results/sentiment.json.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import DATA_DIR, RESULTS, environment, git_commit, reset_database, run

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/ts_bench_sentiment"
TOPIC_POSTS = 20

WORDS = {
    "en": (
        "great thanks wonderful helpful love happy excellent terrible awful broken hate "
        "bug crash slow annoying disappointed",
        "the a meeting release server install version plugin today I we it is was of to "
        "with for on this that after before question answer update config page",
    ),
    "zh": (
        "非常好 谢谢 喜欢 满意 优秀 帮助 开心 糟糕 失望 讨厌 问题 错误 崩溃 慢 难用",
        "我们 今天 服务器 版本 安装 配置 更新 页面 插件 会议 然后 因为 这个 那个 的 了 在",
    ),
    "pl": (
        "świetny dziękuję super dobry pomocny wspaniały zadowolony okropny fatalny zły "
        "błąd problem rozczarowany beznadziejny wolny",
        "jest się że na w z do serwer wersja instalacja aktualizacja strona spotkanie dzisiaj "
        "potem ten ta to konfiguracja",
    ),
}


def post_text(rng: random.Random, language: str) -> str:
    feeling, plain = (words.split() for words in WORDS[language])
    count = rng.randint(20, 80)
    chosen = [
        rng.choice(feeling) if rng.random() < 0.15 else rng.choice(plain) for _ in range(count)
    ]
    return "".join(chosen) + "。" if language == "zh" else " ".join(chosen) + "."


def texts(posts: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    languages = ["en", "en", "zh", "pl"]
    return [(lang, post_text(rng, lang)) for lang in (languages[n % 4] for n in range(posts))]


def bench_scorer(posts: int) -> dict:
    from townsquare.analytics import sentiment

    started = time.perf_counter()
    sentiment.load_lexicons()
    loading = time.perf_counter() - started
    items = texts(posts)
    by_language: dict[str, list[float]] = {}
    started = time.perf_counter()
    for language, text in items:
        begun = time.perf_counter()
        sentiment.score_text(text)
        by_language.setdefault(language, []).append(time.perf_counter() - begun)
    total = time.perf_counter() - started
    return {
        "posts": posts,
        "lexicons_load_s": round(loading, 2),
        "seconds": round(total, 2),
        "posts_per_s": round(posts / total),
        "posts_per_s_by_language": {
            language: round(len(times) / sum(times)) for language, times in by_language.items()
        },
    }


def populate_and_time(posts: int) -> dict:
    """Runs inside the database's own process (DATABASE_URL set)."""
    import django

    django.setup()
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from townsquare.accounts.models import Role, User
    from townsquare.analytics import sentiment, sentiment_rollup
    from townsquare.analytics.models import PostSentiment
    from townsquare.core import actions as core_actions
    from townsquare.forum.models import Category, Post, Topic

    rng = random.Random(11)
    now = timezone.now()
    guidelines = core_actions.publish_guidelines(None, "## Be kind\n\nNo spam.", "First")
    manager = User.objects.create(
        handle="maja",
        email="maja@example.com",
        role=Role.MANAGER,
        guidelines_version=guidelines.version,
    )
    authors = User.objects.bulk_create(
        [User(handle=f"m{n}", email=f"m{n}@example.com", display_name=f"m{n}") for n in range(200)]
    )
    categories = Category.objects.bulk_create(
        [Category(name=f"Category {n}", slug=f"c{n}") for n in range(12)]
    )
    items = texts(posts)
    started = time.perf_counter()
    with transaction.atomic():
        topics = Topic.objects.bulk_create(
            [
                Topic(
                    category=rng.choice(categories),
                    title=f"Topic {n}",
                    slug=f"topic-{n}",
                    created_at=now - timedelta(days=rng.uniform(0, 365)),
                )
                for n in range(0, posts, TOPIC_POSTS)
            ]
        )
        rows = []
        for n, (_language, text) in enumerate(items):
            topic = topics[n // TOPIC_POSTS]
            created = min(now, topic.created_at + timedelta(hours=n % TOPIC_POSTS))
            rows.append(
                Post(
                    topic=topic,
                    number=n % TOPIC_POSTS + 1,
                    author=rng.choice(authors),
                    body=text,
                    body_html=f"<p>{text}</p>",
                    text=text,
                    created_at=created,
                )
            )
        Post.objects.bulk_create(rows, batch_size=2000)
    built = time.perf_counter() - started

    started = time.perf_counter()
    sentiment.load_lexicons()
    loading = time.perf_counter() - started

    started = time.perf_counter()
    scored = sentiment_rollup.rebuild()
    rebuild = time.perf_counter() - started

    started = time.perf_counter()
    sentiment_rollup.score_recent()
    idle = time.perf_counter() - started

    edited = list(Post.objects.order_by("?").values_list("pk", flat=True)[: posts // 100])
    Post.objects.filter(pk__in=edited).update(edited_at=timezone.now(), text="Terrible, broken.")
    started = time.perf_counter()
    changed = sentiment_rollup.score_recent()
    incremental = time.perf_counter() - started

    client = Client()
    client.force_login(manager)
    today = now.astimezone(UTC).date()
    pages = {}
    for days in (30, 365):
        query = {"from": today - timedelta(days=days - 1), "to": today}
        client.get("/manage/analytics/sentiment/", query)  # warm-up
        times = []
        for _ in range(7):
            begun = time.perf_counter()
            response = client.get("/manage/analytics/sentiment/", query)
            times.append(time.perf_counter() - begun)
            assert response.status_code == 200, response.status_code
        pages[f"page_{days}d_ms"] = {
            "median": round(1000 * statistics.median(times), 1),
            "max": round(1000 * max(times), 1),
        }
    return {
        "posts": posts,
        "populate_s": round(built, 2),
        "scored": scored,
        "rows": PostSentiment.objects.count(),
        "lexicons_load_s": round(loading, 2),
        "rebuild_s": round(rebuild, 2),
        "rebuild_posts_per_s": round(scored / rebuild),
        "incremental_nothing_new_s": round(idle, 3),
        "incremental_1pc_edited_s": round(incremental, 3),
        "incremental_1pc_edited_posts": changed,
        **pages,
    }


def bench_database(vendor: str, url: str, posts: int) -> dict:
    print(f"[{vendor}] {posts:,} posts ...", flush=True)
    env = environment(url, "redis://127.0.0.1:6379/3")
    env["ALLOWED_HOSTS"] = "testserver"  # the Django test client's host
    reset_database(url)
    run([sys.executable, "-m", "django", "migrate", "--noinput", "-v0"], env)
    out = run([sys.executable, __file__, "_database", "--posts", str(posts)], env)
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "_database"])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    if args.mode == "_database":
        print(json.dumps(populate_and_time(args.posts)))
        return
    results = {
        "commit": git_commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "scorer": bench_scorer(args.posts),
    }
    print(json.dumps(results["scorer"]), flush=True)
    urls = {
        "sqlite": f"sqlite:///{DATA_DIR / 'bench-sentiment.sqlite3'}",
        "postgresql": args.pg_url,
    }
    for vendor in args.databases.split(","):
        results[vendor] = bench_database(vendor, urls[vendor], args.posts)
        print(json.dumps(results[vendor]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
