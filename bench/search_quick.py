"""A quick search experiment: N synthetic posts (en/pl/zh, Zipf-distributed words), indexed
with search.index.bulk_index, then the latency of a mix of queries.

Not the project's benchmark (bench/ has its own generator); a sizing check for the search
design. Run against a scratch database:

    TOWNSQUARE_DATA_DIR=var/bench PYTHONPATH=src python bench/search_quick.py --posts 200000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_search PYTHONPATH=src \
        python bench/search_quick.py --posts 200000

It fills an empty database (skipped when posts exist) and prints p50/p95 per query kind.
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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")

import django

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from townsquare.accounts.models import User  # noqa: E402
from townsquare.core.permissions import forget_forum_access  # noqa: E402
from townsquare.core.queries import get_community  # noqa: E402
from townsquare.forum.models import Audience, Category, Post, Topic  # noqa: E402
from townsquare.search import index  # noqa: E402
from townsquare.search.queries import search  # noqa: E402

SEED = 20261126
VOCABULARY = 20000
POSTS_PER_TOPIC = 10
START = datetime(2023, 1, 1, tzinfo=UTC)


def vocabularies(rng: random.Random) -> dict[str, list[str]]:
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    factory = DefaultDictionaryFactory()
    words = {}
    for language in ("en", "pl"):
        forms = [w for w in factory.get_dictionary(language) if w.isalpha() and w.islower()]
        rng.shuffle(forms)
        words[language] = forms[:VOCABULARY]
    import jieba

    dictionary = Path(jieba.__file__).parent / "dict.txt"
    entries = []
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split()
        if all("\u4e00" <= ch <= "\u9fff" for ch in word):
            entries.append((int(freq), word))
    entries.sort(reverse=True)
    words["zh"] = [word for _freq, word in entries[:VOCABULARY]]
    return words


def zipf_weights(n: int) -> list[float]:
    return [1 / rank for rank in range(1, n + 1)]


def text(rng, words, weights, language) -> str:
    count = rng.randint(20, 80) if language != "zh" else rng.randint(15, 50)
    chosen = rng.choices(words[language], cum_weights=weights, k=count)
    return ("" if language == "zh" else " ").join(chosen)


def generate(posts: int) -> None:
    rng = random.Random(SEED)
    words = vocabularies(rng)
    cumulative = []
    total = 0.0
    for weight in zipf_weights(VOCABULARY):
        total += weight
        cumulative.append(total)
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", handle=f"bench{i}", display_name=f"Bench {i}",
             guidelines_version=1)
        for i in range(1000)
    )  # fmt: skip
    categories = [
        Category.objects.create(name=f"Category {i}", slug=f"category-{i}",
                                read_access=Audience.MEMBERS if i >= 8 else Audience.EVERYONE)
        for i in range(10)
    ]  # fmt: skip
    forget_forum_access()
    topics_count = posts // POSTS_PER_TOPIC
    span = timedelta(days=3 * 365)
    started = time.monotonic()
    with transaction.atomic():
        for first in range(0, topics_count, 1000):
            languages = [rng.choices(("en", "pl", "zh"), (6, 2, 2))[0] for _ in range(1000)]
            batch = Topic.objects.bulk_create(
                Topic(category=rng.choice(categories),
                      title=text(rng, words, cumulative, languages[i])[:120], slug="t",
                      author=rng.choice(users),
                      created_at=START + span * (first + i) / topics_count)
                for i in range(min(1000, topics_count - first))
            )  # fmt: skip
            rows = []
            for topic, language in zip(batch, languages, strict=False):
                for number in range(1, POSTS_PER_TOPIC + 1):
                    body = text(rng, words, cumulative, language)
                    rows.append(
                        Post(topic=topic, number=number, author=rng.choice(users), body=body,
                             body_html=body, text=body,
                             created_at=topic.created_at + timedelta(hours=number))
                    )  # fmt: skip
            Post.objects.bulk_create(rows, batch_size=2000)
            print(f"  forum rows: {first + len(batch)} topics", end="\r", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh tables have no statistics for the planner yet
    print(f"\nforum rows written in {time.monotonic() - started:.1f} s")


def build_index(workers: int) -> None:
    started = time.monotonic()

    def progress(p):
        print(f"  indexed {p.done}/{p.total} ({p.rate:.0f}/s)", end="\r", flush=True)

    done = index.reindex_all(batch_size=2000, workers=workers, progress=progress)
    print(f"\nindexed {done} posts in {time.monotonic() - started:.1f} s")


QUERIES = {
    "common word": lambda w: w["en"][0],
    "frequent word": lambda w: w["en"][20],
    "mid word": lambda w: w["en"][300],
    "rare word": lambda w: w["en"][8000],
    "two words": lambda w: f"{w['en'][30]} {w['en'][200]}",
    "three words": lambda w: f"{w['en'][5]} {w['en'][50]} {w['en'][500]}",
    "polish word": lambda w: w["pl"][100],
    "chinese word": lambda w: w["zh"][150],
    "chinese two": lambda w: w["zh"][40] + w["zh"][90],
    "no match": lambda w: "zzzqqqxxx",
}


def measure(repeat: int) -> dict:
    rng = random.Random(SEED)
    words = vocabularies(rng)
    community = get_community()
    member = User.objects.filter(handle="bench1").first()
    results = {}
    for searcher_name, user in (("visitor", AnonymousUser()), ("member", member)):
        for kind, make in QUERIES.items():
            query = make(words)
            for order in ("relevance", "latest"):
                search(user, community, query, order=order)  # warm
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    found = search(user, community, query, order=order)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                key = f"{searcher_name} / {kind} / {order}"
                results[key] = {
                    "query": query,
                    "total": f"{found.total}{'+' if found.total_is_capped else ''}",
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                }
                print(f"{key:45} {results[key]['total']:>6}  p50 {results[key]['p50_ms']:7.1f} ms"
                      f"  p95 {results[key]['p95_ms']:7.1f} ms")  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reindex", action="store_true", help="rebuild the index first")
    parser.add_argument("--output", help="write the figures to this JSON file")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Post.objects.exists():
        generate(args.posts)
        build_index(args.workers)
    elif args.reindex:
        build_index(args.workers)
    print(f"{connection.vendor}: {Post.objects.count()} posts")
    figures = measure(args.repeat)
    if args.output:
        Path(args.output).write_text(json.dumps({"vendor": connection.vendor, **figures}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
