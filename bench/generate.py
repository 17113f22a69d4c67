"""Build a large forum community for the benchmarks, on SQLite or PostgreSQL, in minutes.

Full size (the defaults): 100,000 members, 50,000 topics and 1,000,000 posts in English,
Chinese and Polish over two years ending now, one topic with 10,000 replies.

    PYTHONPATH=src .venv/bin/python bench/generate.py                      # SQLite, full size
    PYTHONPATH=src .venv/bin/python bench/generate.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ts_bench          # PostgreSQL
    PYTHONPATH=src .venv/bin/python bench/generate.py --members 10000 --topics 5000 \\
        --posts 100000                                                       # smaller

The database is made anew each time (the SQLite file is deleted; a PostgreSQL database is
dropped and created, and only one whose name starts with ``ts_bench``). The app's migrations
run first.

THIS SCRIPT BYPASSES THE ACTIONS, and is the only place allowed to: a million posts through
``forum.actions.create_post`` would take hours. What occurs once (guidelines, community
settings, staff accounts, categories, one member's muted category) still goes through the
actions; members, profiles, topics, posts, tags, reactions, read states, accepted answers
and activity events are computed here and written in bulk (executemany on SQLite, COPY on
PostgreSQL), with the values the actions would have written:

- members: unusable password, current guidelines accepted (with the acceptance row), an
  empty or filled profile; ids in order of joining;
- posts numbered 1..n per topic, ids in order of time; the cooked HTML and plain text are
  what ``forum.cooking.cook`` makes of the body (sentences that cook to anything but a
  plain paragraph are left out of the pool, and a sample is checked against ``cook``);
- a few replies soft-deleted by their authors, with the topic counters as
  ``refresh_topic_stats`` leaves them; reply_count, highest_post_number, last_posted_at,
  last_poster, reaction_count, first_response_at and Category.topic_count/post_count as
  the actions keep them; ``Post.reaction_counts`` from the reaction rows;
- accepted answers in Q&A categories (a reply by someone other than the asker);
- read states as ``follow_own_topic`` leaves them for everyone who posted, plus a reading
  history for the benchmark's signed-in member (``bench_member``);
- activity events for what the actions record (``--no-activity`` leaves them out).

Secondary indexes and foreign keys of the bulk tables are dropped while loading and made
again from their own definitions afterwards, so the schema is the migrations' own; on
SQLite the foreign keys are then checked (``PRAGMA foreign_key_check``), on PostgreSQL
re-adding them validates every row. PostgreSQL gets VACUUM ANALYZE (what autovacuum would
do on a live site); SQLite gets ANALYZE, as a site's ``migrate`` and daily maintenance job
run it (core.maintenance; ``--no-sqlite-analyze`` leaves it out, to compare).

``--with-search`` also builds the search index through ``townsquare.search.index.bulk_index``
when the search app is there; otherwise it says it skipped it.
"""

import argparse
import bisect
import html
import json
import os
import random
import re
import string
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "townsquare"
FORUM_DEMO = SRC / "forum" / "demo" / "forum.json"
PEOPLE_DEMO = SRC / "core" / "demo" / "people.json"
DATA_DIR = Path(os.environ.get("BENCH_DATA_DIR", ROOT / "var" / "bench"))
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'forum.sqlite3'}"

DAY = 86400.0
HOUR = 3600.0
HISTORY_DAYS = 730
LANGUAGES = ["en", "zh-hans", "pl"]
LANGUAGE_SHARE = [0.56, 0.22, 0.22]
# Topics per category (relative); the category's language follows from demo/forum.json.
CATEGORY_WEIGHT = {
    "announcements": 0.4,
    "questions": 3,
    "api-integrations": 9,
    "dashboards-reports": 9,
    "admin-sso": 6,
    "ideas": 8,
    "show-and-tell": 5,
    "newcomers": 6,
    "lounge": 4,
    "zhongwen": 8,
    "zhongwen-wenda": 14,
    "spolecznosc-pl": 8,
    "pl-pytania": 14,
}
CATEGORY_LANGUAGE = {
    "zhongwen": "zh-hans",
    "zhongwen-wenda": "zh-hans",
    "spolecznosc-pl": "pl",
    "pl-pytania": "pl",
}
BIG_TOPIC_CATEGORY = "show-and-tell"
BIG_TOPIC_TITLE = "What are you working on this week? (the long-running thread)"
MUTED_CATEGORY = "announcements"  # the signed-in member's one muted category
BENCH_HANDLE = "bench_member"
STAFF = [
    ("admin@example.com", "admin", "Ada Admin", "admin"),
    ("manager@example.com", "manager", "Maja Menedżer", "manager"),
    ("moderator@example.com", "moderator", "Mo Moderator", "moderator"),
]
REACTION_KINDS = ["like", "thanks", "laugh", "celebrate", "insightful", "eyes"]
REACTION_SHARE = [0.58, 0.16, 0.06, 0.06, 0.1, 0.04]
# fmt: off
EXTRA_TAGS = {
    "en": [
        "api", "webhooks", "dashboards", "sso", "scim", "reporting", "exports", "billing",
        "performance", "mobile", "slack", "salesforce", "sql", "permissions", "onboarding",
        "feature-request", "bug", "how-to", "release-notes", "security", "automation", "python",
        "rest", "filters", "charts", "scheduling", "workspace", "admin", "data-import", "alerts",
        "embedding", "templates", "audit-log", "teams",
    ],
    "zh-hans": [
        "仪表盘", "报表", "接口", "单点登录", "权限", "导出", "性能", "移动端", "线下活动", "新手",
        "数据导入", "自动化", "集成", "安全", "计费", "模板", "告警", "筛选", "图表", "工作区",
    ],
    "pl": [
        "pulpity", "raporty", "integracje", "uprawnienia", "eksport", "wydajność", "spotkania",
        "nowicjusze", "automatyzacja", "bezpieczeństwo", "api", "sso", "faktury", "import-danych",
        "szablony", "alerty", "filtry", "wykresy", "harmonogramy",
    ],
}
# fmt: on
# Tables written in bulk: their secondary indexes and foreign keys are made after loading.
BULK_TABLES = [
    "accounts_user",
    "accounts_profile",
    "accounts_guidelinesacceptance",
    "forum_tag",
    "forum_topic",
    "forum_topictag",
    "forum_post",
    "forum_reaction",
    "forum_topicreadstate",
    "core_activityevent",
]


def columns(names: str) -> list[str]:
    return names.split()


# --- Timing -----------------------------------------------------------------------------------


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, name: str):
        print(f"{name} …", end="", flush=True)
        start = time.perf_counter()
        yield
        took = time.perf_counter() - start
        self.seconds[name] = round(took, 1)
        print(f" {took:.1f} s", flush=True)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.started, 1)


# --- The database -----------------------------------------------------------------------------


def fresh_database(url: str) -> dict:
    """Delete the SQLite file, or drop and create the PostgreSQL database (ts_bench* only)."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"].endswith("sqlite3"):
        path = Path(config["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return config
    if not config["NAME"].startswith("ts_bench"):
        sys.exit(f"Refusing to drop database {config['NAME']!r}: use a name starting ts_bench.")
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config["NAME"]}"')
    return config


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TOWNSQUARE_DATA_DIR", str(DATA_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


class Loader:
    """Bulk writes through the raw connection, with indexes and foreign keys made after."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.deferred: list[str] = []
        connection.ensure_connection()
        self.raw = connection.connection

    def ts(self, seconds: float) -> str:
        """A time as the database takes it (SQLite: Django's naive UTC text)."""
        moment = datetime.fromtimestamp(seconds, UTC)
        return str(moment.replace(tzinfo=None) if self.vendor == "sqlite" else moment)

    def bool(self, value: bool):
        return int(value) if self.vendor == "sqlite" else value

    def check_columns(self, table: str, columns: list[str]) -> None:
        with self.connection.cursor() as cursor:
            described = self.connection.introspection.get_table_description(cursor, table)
        present = {column.name for column in described} - {"score"}
        if present != set(columns):
            sys.exit(
                f"{table}: the generator writes {sorted(set(columns) - present)} which the "
                f"table lacks, and leaves out {sorted(present - set(columns))}. Update "
                "bench/generate.py to the models."
            )

    def begin(self) -> None:
        """Drop secondary indexes and foreign keys of the bulk tables, keeping their DDL."""
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                for pragma in (
                    "journal_mode=OFF",
                    "synchronous=OFF",
                    "foreign_keys=OFF",
                    "cache_size=-4000000",
                    "temp_store=MEMORY",
                ):
                    cursor.execute(f"PRAGMA {pragma}")
                marks = ",".join("%s" for _ in BULK_TABLES)
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    f" AND tbl_name IN ({marks}) ORDER BY name",
                    BULK_TABLES,
                )
                for name, sql in cursor.fetchall():
                    self.deferred.append(sql)
                    cursor.execute(f'DROP INDEX "{name}"')
                return
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            tables = [f"'{t}'::regclass" for t in BULK_TABLES]
            where = f"conrelid IN ({','.join(tables)})"
            cursor.execute(
                f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
                f"FROM pg_constraint WHERE {where} AND contype IN ('f', 'u') "
                "ORDER BY contype DESC, conname"
            )
            constraints = cursor.fetchall()
            cursor.execute(
                f"SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                f"WHERE indrelid IN ({','.join(tables)}) AND NOT indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = pg_index.indexrelid) "
                "ORDER BY 1"
            )
            indexes = cursor.fetchall()
            for table, name, _definition, _kind in constraints:  # foreign keys first
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            # Made again: unique constraints, then indexes, then foreign keys.
            for table, name, definition, kind in constraints:
                if kind == "u":
                    self.deferred.append(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                    )
            self.deferred += [definition for _name, definition in indexes]
            for table, name, definition, kind in constraints:
                if kind == "f":
                    self.deferred.append(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                    )

    def write(self, table: str, columns: list[str], rows) -> int:
        """Write rows (an iterable of tuples in the order of columns); returns how many."""
        self.check_columns(table, columns)
        count = 0
        if self.vendor == "sqlite":

            def counted():
                nonlocal count
                for row in rows:
                    count += 1
                    yield row

            marks = ",".join("?" for _ in columns)
            names = ",".join(f'"{c}"' for c in columns)
            self.raw.execute("BEGIN")
            self.raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', counted())
            self.raw.execute("COMMIT")
            return count
        names = ",".join(f'"{c}"' for c in columns)
        with (
            self.raw.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        self.raw.commit()
        return count

    def finish(self, *, sqlite_analyze: bool) -> dict:
        """Make the indexes and foreign keys again, reset sequences, check, analyse."""
        from django.apps import apps
        from django.core.management.color import no_style

        from townsquare.core.maintenance import analyze_database

        checks = {}
        with self.connection.cursor() as cursor:
            for statement in self.deferred:
                cursor.execute(statement)
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_key_check")
                problems = cursor.fetchall()
                if problems:
                    sys.exit(f"Foreign key problems: {problems[:10]}")
                checks["foreign_key_check"] = "ok"
                if sqlite_analyze:
                    analyze_database()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
            else:
                models = list(apps.get_models())
                for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(statement)
        if self.vendor == "postgresql":
            self.raw.commit()
            self.raw.autocommit = True
            with self.raw.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            checks["foreign_keys"] = "validated on re-adding"
        return checks


# --- Text -------------------------------------------------------------------------------------

_SENTENCE_END = {
    "zh-hans": re.compile(r"(?<=[。！？])"),
    "en": re.compile(r"(?<=[.!?])\s+"),
    "pl": re.compile(r"(?<=[.!?])\s+"),
}
_ENDINGS = set(".!?。！？")
_UNSAFE = re.compile(r"[*_`\[\]<>\\~|#@!&$=^{}]|https?:|^\s*[-+\d]")


class TextPool:
    """Sentences from the demo forum, by language, that cook to a plain paragraph; posts
    are paragraphs of them, so body, HTML and text are made without cooking each post."""

    def __init__(self, rng: random.Random) -> None:
        from townsquare.forum.cooking import cook

        def resolve(_candidates):
            return {}

        self.cook = lambda body: cook(body, resolve_handles=resolve, resolve_tags=lambda c: set())
        data = json.loads(FORUM_DEMO.read_text(encoding="utf-8"))
        bodies: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
        titles: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
        tags: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
        for topic in data["topics"]:
            lang = topic["language"]
            titles[lang].append(topic["title"])
            tags[lang] += topic["tags"]
            bodies[lang] += [topic["body"], *(reply["body"] for reply in topic["replies"])]
        self.sentences: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            found = []
            for body in bodies[lang]:
                for paragraph in self.cook(body).text.split("\n"):
                    for sentence in _SENTENCE_END[lang].split(paragraph):
                        sentence = " ".join(sentence.split())
                        if (
                            12 <= len(sentence) <= 240
                            and sentence[0].isalpha()
                            and sentence[-1] in _ENDINGS
                            and not _UNSAFE.search(sentence)
                        ):
                            found.append(sentence)
            unique = sorted(set(found))
            self.sentences[lang] = [s for s in unique if self._plain(s)]
        self.titles = {lang: sorted(set(t)) for lang, t in titles.items()}
        from townsquare.forum.validation import clean_tags

        self.tags = {
            lang: [
                clean_tags([name])[0] for name in sorted(set(tags[lang]) | set(EXTRA_TAGS[lang]))
            ]
            for lang in LANGUAGES
        }
        self.rng = rng
        print(" sentences:", {lang: len(pool) for lang, pool in self.sentences.items()}, end="")

    def _plain(self, sentence: str) -> bool:
        cooked = self.cook(sentence)
        return cooked.text == sentence and cooked.html == self.html([sentence])

    @staticmethod
    def html(paragraphs: list[str]) -> str:
        return "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paragraphs)

    def paragraphs(self, lang: str, count: int) -> list[str]:
        rng, pool = self.rng, self.sentences[lang]
        joiner = "" if lang == "zh-hans" else " "
        return [
            joiner.join(rng.choice(pool) for _ in range(rng.choice((1, 1, 2, 2, 3, 4))))
            for _ in range(count)
        ]

    def post(self, lang: str, opening: bool) -> tuple[str, str, str]:
        """(body, body_html, text) of a new post."""
        count = self.rng.choice((2, 3, 3, 4, 5)) if opening else self.rng.choice((1, 1, 2, 2, 3))
        paragraphs = self.paragraphs(lang, count)
        return "\n\n".join(paragraphs), self.html(paragraphs), "\n".join(paragraphs)

    def title(self, lang: str) -> str:
        """A sentence from the pool, shortened; a question keeps its question mark."""
        rng = self.rng
        if rng.random() < 0.05:
            return rng.choice(self.titles[lang])
        sentence = rng.choice(self.sentences[lang])
        question = sentence[-1] in "?？"
        sentence = sentence.rstrip("。.!！?？")
        limit = 36 if lang == "zh-hans" else 90
        if len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit) if lang != "zh-hans" else limit
            sentence = sentence[: cut if cut > 20 else limit].rstrip(" ,;:，、：")
        return sentence + (("？" if lang == "zh-hans" else "?") if question else "")


# --- The community ----------------------------------------------------------------------------


@dataclass
class Member:
    id: int
    lang: str
    joined: float
    handle: str = ""
    last_seen: float = 0.0


@dataclass
class TopicPlan:
    id: int
    category: str
    lang: str
    title: str
    author: int
    anonymous: bool
    created: float
    tags: list[int] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)
    big: bool = False


class Community:
    """Everything generated, held in memory as plain lists before writing."""

    def __init__(self, args, rng: random.Random, text: TextPool) -> None:
        self.args, self.rng, self.text = args, rng, text
        self.now = args.now.timestamp()
        self.start = self.now - HISTORY_DAYS * DAY

    # Members ----------------------------------------------------------------------------------

    def plan_members(self, first_id: int) -> None:
        rng, people = self.rng, json.loads(PEOPLE_DEMO.read_text(encoding="utf-8"))["people"]
        self.people = {lang: [p for p in people if p["language"] == lang] for lang in LANGUAGES}
        count = self.args.members
        # Joining grows over time (density rising linearly), beginning before the first topic.
        opening = self.start - 60 * DAY
        span = self.now - HOUR - opening
        joins = sorted(opening + span * rng.random() ** 0.5 for _ in range(count))
        self.members: list[Member] = []
        self.by_lang: dict[str, list[int]] = {lang: [] for lang in LANGUAGES}
        self.join_times_by_lang: dict[str, list[float]] = {lang: [] for lang in LANGUAGES}
        for index, joined in enumerate(joins):
            lang = rng.choices(LANGUAGES, LANGUAGE_SHARE)[0]
            member = Member(id=first_id + index, lang=lang, joined=joined, last_seen=joined)
            self.members.append(member)
            self.by_lang[lang].append(member.id)
            self.join_times_by_lang[lang].append(joined)
        self.first_member_id = first_id
        self.join_times = joins
        # The signed-in member of the benchmark: an early, active English-speaking member.
        self.bench_id = self.by_lang["en"][min(150, len(self.by_lang["en"]) - 1)]

    def member(self, member_id: int) -> Member:
        return self.members[member_id - self.first_member_id]

    def pick_member(self, lang: str | None, at: float) -> int:
        """Someone who had joined by ``at``; early members post far more (a power law)."""
        ids, times = (
            (self.by_lang[lang], self.join_times_by_lang[lang]) if lang else (None, self.join_times)
        )
        eligible = max(1, bisect.bisect_right(times, at))
        index = int(eligible * self.rng.random() ** 3)
        return ids[index] if ids is not None else self.first_member_id + index

    def member_rows(self, loader: Loader, guidelines_version: int):
        rng = self.rng
        letters = string.ascii_letters + string.digits
        handle_parts = {
            lang: [p["handle"].split("_") for p in self.people[lang]] for lang in LANGUAGES
        }
        polish = {
            feminine: [
                p
                for p in self.people["pl"]
                if p["display_name"].split()[0].endswith("a") == feminine
            ]
            for feminine in (True, False)
        }
        for member in self.members:
            person_a, person_b = (
                rng.choice(self.people[member.lang]),
                rng.choice(self.people[member.lang]),
            )
            if member.id == self.bench_id:
                handle, name = BENCH_HANDLE, "Bench Member"
            else:
                first = rng.choice(handle_parts[member.lang])[0]
                last = rng.choice(handle_parts[member.lang])[-1]
                suffix = str(member.id)
                handle = f"{first}{rng.choice('_.')}{last}"[: 30 - len(suffix)] + suffix
                if member.lang == "zh-hans":
                    name = person_a["display_name"][0] + person_b["display_name"][1:]
                elif member.lang == "pl":  # a surname that agrees with the first name
                    first_name = person_a["display_name"].split()[0]
                    same = polish[first_name.endswith("a")]
                    name = first_name + " " + rng.choice(same)["display_name"].split()[-1]
                else:
                    name = (
                        person_a["display_name"].split()[0]
                        + " "
                        + person_b["display_name"].split()[-1]
                    )
            member.handle = handle
            password = "!" + "".join(rng.choice(letters) for _ in range(40))
            previous = max(member.joined, member.last_seen - rng.uniform(2, 96) * HOUR)
            yield (
                member.id,
                password,
                None,
                f"{handle.lower()}@members.example.com",
                handle,
                name,
                rng.choice(self.people[member.lang])["timezone"],
                member.lang,
                "member",
                loader.bool(True),
                loader.ts(member.joined),
                guidelines_version,
                loader.ts(member.last_seen),
                loader.ts(previous),
            )

    def profile_rows(self, loader: Loader):
        rng = self.rng
        for member in self.members:
            person = rng.choice(self.people[member.lang])
            filled = rng.random() < 0.3
            yield (
                member.id,
                member.id,
                person["bio"] if rng.random() < 0.15 else "",
                person["company"] if filled else "",
                person["job_title"] if filled else "",
                person["location"] if filled else "",
                "",
                loader.ts(member.joined),
            )

    # Topics and posts -------------------------------------------------------------------------

    def plan_topics(self, categories: dict, staff: dict[str, int]) -> None:
        args, rng, now, start = self.args, self.rng, self.now, self.start
        slugs = list(CATEGORY_WEIGHT)
        weights = [CATEGORY_WEIGHT[s] for s in slugs]
        created = sorted(
            start + (now - HOUR - start) * rng.random() ** 0.5 for _ in range(args.topics - 1)
        )
        self.topics: list[TopicPlan] = []
        tag_ids = {lang: [] for lang in LANGUAGES}
        self.tag_names: list[tuple[int, str]] = []
        for lang in LANGUAGES:
            for name in self.text.tags[lang]:
                if name not in {n for _i, n in self.tag_names}:
                    self.tag_names.append((len(self.tag_names) + 1, name))
                tag_ids[lang].append(next(i for i, n in self.tag_names if n == name))
        big_time = start + 2 * DAY + 3 * HOUR  # the big topic: started early, still going
        big_at = bisect.bisect(created, big_time)
        for index in range(args.topics):
            if index == big_at:
                at = big_time
                slug, lang, big = BIG_TOPIC_CATEGORY, "en", True
            else:
                at = created[index if index < big_at else index - 1]
                slug, big = rng.choices(slugs, weights)[0], False
                lang = CATEGORY_LANGUAGE.get(slug, "en")
            kind = categories[slug].kind
            if slug == "announcements" or big:
                author = rng.choice([staff["manager"], staff["admin"]])
            else:
                author = self.pick_member(lang, at)
            anonymous = kind == "anonymous" and rng.random() < 0.25
            title = BIG_TOPIC_TITLE if big else self.text.title(lang)
            count = rng.choices((0, 1, 2, 3), (0.3, 0.35, 0.25, 0.1))[0]
            pool = tag_ids[lang]
            tags = sorted({pool[int(len(pool) * rng.random() ** 2)] for _ in range(count)})
            self.topics.append(
                TopicPlan(
                    id=index + 1,
                    category=slug,
                    lang=lang,
                    title=title,
                    author=author,
                    anonymous=anonymous,
                    created=at,
                    tags=tags,
                    big=big,
                )
            )

    def reply_counts(self) -> list[int]:
        """Replies per topic: a long tail, fewer on topics only hours old, exact total."""
        rng, args = self.rng, self.args
        total = args.posts - args.topics - args.big_topic_replies
        if total < 0:
            sys.exit("--posts must be at least --topics plus --big-topic-replies.")
        weights = []
        for topic in self.topics:
            if topic.big or rng.random() < 0.07:  # some questions never get an answer
                weights.append(0.0)
                continue
            age_days = (self.now - topic.created) / DAY
            weights.append(rng.lognormvariate(0, 1.1) * min(1.0, age_days / 4 + 0.05))
        cap = max(50, min(args.big_topic_replies // 4, 2500))
        counts = [0] * len(self.topics)
        remaining, live = total, [i for i, w in enumerate(weights) if w > 0]
        while remaining > 0 and live:
            scale = remaining / sum(weights[i] for i in live)
            added = 0
            for i in live:
                share = min(int(weights[i] * scale), cap - counts[i])
                counts[i] += share
                added += share
            remaining -= added
            live = [i for i in live if counts[i] < cap]
            if added == 0 and live:  # what is left is less than a share: drawn one by one
                for i in rng.choices(live, [weights[i] for i in live], k=remaining):
                    counts[i] += 1
                remaining = 0
        for index, topic in enumerate(self.topics):
            if topic.big:
                counts[index] = args.big_topic_replies
        return counts

    def plan_posts(self) -> None:
        """Times, authors and numbers of every post; ids follow time, as they would."""
        rng, now = self.rng, self.now
        counts = self.reply_counts()
        entries = []  # (time, topic index, number)
        for topic, replies in zip(self.topics, counts, strict=True):
            entries.append((topic.created, topic.id - 1, 1))
            if not replies:
                continue
            if topic.big:
                span = now - 10 * 60 - topic.created
                times = sorted(topic.created + 60 + span * rng.random() for _ in range(replies))
            else:
                life = min(rng.lognormvariate(1.0, 1.4) * DAY, 200 * DAY)
                end = min(topic.created + life, now - 60)
                span = max(end - topic.created, 120.0)
                times = sorted(
                    min(topic.created + 60 + span * rng.random() ** 1.8, now - 30)
                    for _ in range(replies)
                )
            entries += [(t, topic.id - 1, n) for n, t in enumerate(times, start=2)]
        entries.sort()
        n = len(entries)
        self.post_topic = [0] * n
        self.post_number = [0] * n
        self.post_time = [0.0] * n
        self.post_author = [0] * n
        self.post_anon = bytearray(n)
        self.post_deleted = bytearray(n)
        self.post_reply_to = [None] * n
        for topic in self.topics:
            topic.post_ids = [0] * (counts[topic.id - 1] + 1)
        for index, (at, topic_index, number) in enumerate(entries):
            post_id = index + 1
            topic = self.topics[topic_index]
            topic.post_ids[number - 1] = post_id
            self.post_topic[index], self.post_number[index], self.post_time[index] = (
                topic_index,
                number,
                at,
            )
            if number == 1:
                self.post_author[index] = topic.author
                self.post_anon[index] = topic.anonymous
                continue
            if rng.random() < 0.12 and topic.category != "announcements":
                author = topic.author
            else:
                author = self.pick_member(topic.lang, at)
            self.post_author[index] = author
            self.post_anon[index] = topic.category == "newcomers" and rng.random() < 0.08
            self.post_deleted[index] = rng.random() < 0.003
            if number >= 3 and rng.random() < 0.25:
                target = rng.randint(max(1, number - 6), number - 1)
                self.post_reply_to[index] = topic.post_ids[target - 1]
        for index, author in enumerate(self.post_author):
            if author >= self.first_member_id:
                member = self.member(author)
                member.last_seen = max(member.last_seen, self.post_time[index])

    def plan_reactions(self) -> None:
        rng, now = self.rng, self.now
        self.reactions: list[tuple[int, int, str, float]] = []  # post, user, kind, time
        self.post_reactions: dict[int, dict[str, int]] = {}
        for index in range(len(self.post_topic)):
            if self.post_deleted[index]:
                continue
            chance = 0.45 if self.post_number[index] == 1 else 0.12
            if rng.random() >= chance:
                continue
            count = 1
            while count < 8 and rng.random() < 0.5:
                count += 1
            post_id, at = index + 1, self.post_time[index]
            seen, counts = set(), {}
            for _ in range(count):
                user = self.pick_member(None, at + HOUR)
                kind = rng.choices(REACTION_KINDS, REACTION_SHARE)[0]
                if user == self.post_author[index] or (user, kind) in seen:
                    continue
                seen.add((user, kind))
                counts[kind] = counts.get(kind, 0) + 1
                when = min(at + rng.expovariate(1 / (6 * HOUR)), now - 1)
                self.reactions.append((post_id, user, kind, when))
            if counts:
                self.post_reactions[post_id] = counts

    def plan_topic_state(self, categories: dict) -> None:
        """Counters, accepted answers, first responses, pins and closures of each topic."""
        rng, now = self.rng, self.now
        topic_reactions = Counter()
        for post_id, counts in self.post_reactions.items():
            topic_reactions[self.post_topic[post_id - 1]] += sum(counts.values())
        self.category_counts = {slug: [0, 0] for slug in categories}
        first_qa_pin = False
        for topic in self.topics:
            ids = topic.post_ids
            visible = [p for p in ids if not self.post_deleted[p - 1]]
            last = visible[-1] - 1
            topic.reply_count = len(visible) - 1
            topic.highest = len(ids)
            topic.last_posted_at = self.post_time[last]
            topic.last_poster = self.post_author[last]
            topic.last_anon = bool(self.post_anon[last])
            topic.reaction_count = topic_reactions[topic.id - 1]
            topic.first_response = next(
                (self.post_time[p - 1] for p in ids[1:] if self.post_author[p - 1] != topic.author),
                None,
            )
            topic.accepted, topic.solved_at = None, None
            if categories[topic.category].kind == "qa" and rng.random() < 0.45:
                answers = [
                    p
                    for p in ids[1:11]
                    if self.post_author[p - 1] != topic.author and not self.post_deleted[p - 1]
                ]
                if answers:
                    topic.accepted = rng.choice(answers)
                    answered = self.post_time[topic.accepted - 1]
                    topic.solved_at = min(answered + rng.expovariate(1 / (8 * HOUR)), now - 1)
            topic.views = int(topic.reply_count * rng.uniform(4, 25) + rng.lognormvariate(3, 1))
            if topic.big:
                topic.views = 40 * topic.reply_count
            topic.pin = ""
            if topic.category == "announcements" and not any(
                t.pin == "global" for t in self.topics[: topic.id - 1]
            ):
                topic.pin = "global"
            elif topic.category == "questions" and not first_qa_pin:
                topic.pin, first_qa_pin = "category", True
            topic.closed = not topic.big and now - topic.created > 400 * DAY and rng.random() < 0.01
            counts = self.category_counts[topic.category]
            counts[0] += 1
            counts[1] += len(visible)

    def read_states(self) -> dict[tuple[int, int], list]:
        """(user, topic) -> [last read number, level, first visit, last visit], as
        ``follow_own_topic`` leaves them, and the benchmark member's reading."""
        states: dict[tuple[int, int], list] = {}
        for index, author in enumerate(self.post_author):
            topic_index, number, at = (
                self.post_topic[index],
                self.post_number[index],
                self.post_time[index],
            )
            key = (author, topic_index + 1)
            state = states.get(key)
            if state is None:
                states[key] = [number, 3 if number == 1 else 2, at, at]
            else:
                state[0] = max(state[0], number)
                state[3] = at
        rng, bench = self.rng, self.member(self.bench_id)
        readable = [t for t in self.topics if t.created > bench.joined]
        for topic in rng.sample(readable, min(3000, len(readable))):
            key = (bench.id, topic.id)
            number = topic.highest if rng.random() < 0.6 else rng.randint(1, topic.highest)
            first = min(topic.created + rng.uniform(0, 3) * DAY, self.now - 60)
            seen = min(max(first, self.post_time[topic.post_ids[number - 1] - 1]), self.now - 60)
            state = states.setdefault(key, [number, 2, first, seen])
            state[0] = max(state[0], number)
        return states


# --- Writing ----------------------------------------------------------------------------------


def write_all(community: Community, loader: Loader, phases: Phases, ctx: dict) -> dict:
    c, lo = community, loader
    counts = {}
    with phases("members and profiles"):
        counts["members"] = lo.write(
            "accounts_user",
            columns(
                "id password last_login email handle display_name timezone language role "
                "is_active date_joined guidelines_version last_seen_at previous_visit_at"
            ),
            c.member_rows(lo, ctx["guidelines_version"]),
        )
        lo.write(
            "accounts_profile",
            ["id", "user_id", "bio", "company", "job_title", "location", "avatar", "updated_at"],
            c.profile_rows(lo),
        )
        first_acceptance = ctx["next_acceptance_id"]
        lo.write(
            "accounts_guidelinesacceptance",
            ["id", "user_id", "version", "accepted_at"],
            (
                (first_acceptance + i, m.id, ctx["guidelines_version"], lo.ts(m.joined))
                for i, m in enumerate(c.members)
            ),
        )
    with phases("tags and topics"):
        tag_time = lo.ts(c.start)
        lo.write(
            "forum_tag",
            ["id", "name", "created_at"],
            ((i, name, tag_time) for i, name in c.tag_names),
        )
        category_ids = ctx["category_ids"]

        def topic_rows():
            for t in c.topics:
                yield (
                    t.id,
                    category_ids[t.category],
                    t.title,
                    ctx["slug"](t.title),
                    t.author,
                    lo.bool(t.anonymous),
                    "",
                    lo.ts(t.created),
                    lo.ts(t.last_posted_at),
                    t.last_poster,
                    lo.bool(t.last_anon),
                    t.reply_count,
                    t.highest,
                    t.views,
                    t.reaction_count,
                    t.accepted,
                    lo.ts(t.solved_at) if t.solved_at else None,
                    lo.ts(t.first_response) if t.first_response else None,
                    t.pin,
                    None,
                    lo.bool(t.closed),
                    lo.bool(False),
                    lo.bool(True),
                    None,
                    None,
                    None,
                )

        counts["topics"] = lo.write(
            "forum_topic",
            columns(
                "id category_id title slug author_id is_anonymous host_name created_at "
                "last_posted_at last_poster_id last_post_anonymous reply_count "
                "highest_post_number view_count reaction_count accepted_post_id solved_at "
                "first_response_at pin_scope pinned_until is_closed is_archived is_listed "
                "merged_into_id deleted_at deleted_by_id"
            ),
            topic_rows(),
        )
        rows = [(t.id, tag) for t in c.topics for tag in t.tags]
        lo.write(
            "forum_topictag",
            ["id", "topic_id", "tag_id"],
            ((i + 1, topic, tag) for i, (topic, tag) in enumerate(rows)),
        )
    search_rows = [] if ctx["keep_text"] else None
    tag_name = dict(c.tag_names)
    samples: list[tuple[str, str, str]] = []
    sample_every = max(1, len(c.post_topic) // 500)
    with phases("posts"):

        def post_rows():
            for index in range(len(c.post_topic)):
                post_id = index + 1
                topic = c.topics[c.post_topic[index]]
                number = c.post_number[index]
                body, body_html, text = c.text.post(topic.lang, number == 1)
                if post_id % sample_every == 0:
                    samples.append((body, body_html, text))
                deleted = c.post_deleted[index]
                at = c.post_time[index]
                author = c.post_author[index]
                reactions = c.post_reactions.get(post_id)
                if search_rows is not None:
                    title = ""
                    if number == 1:
                        title = " ".join([topic.title, *(tag_name[t] for t in topic.tags)])
                    search_rows.append((post_id, title, text))
                yield (
                    post_id,
                    topic.id,
                    number,
                    "regular",
                    author,
                    lo.bool(c.post_anon[index]),
                    c.post_reply_to[index],
                    None,
                    body,
                    body_html,
                    text,
                    lo.ts(at),
                    None,
                    0,
                    lo.ts(min(at + 2 * HOUR, c.now - 1)) if deleted else None,
                    author if deleted else None,
                    json.dumps(reactions) if reactions else "{}",
                    "",
                )

        counts["posts"] = lo.write(
            "forum_post",
            columns(
                "id topic_id number kind author_id is_anonymous reply_to_id action body "
                "body_html text created_at edited_at edit_count deleted_at deleted_by_id "
                "reaction_counts client_token"
            ),
            post_rows(),
        )
    with phases("reactions and read states"):
        counts["reactions"] = lo.write(
            "forum_reaction",
            ["id", "post_id", "user_id", "kind", "created_at"],
            ((i + 1, p, u, k, lo.ts(at)) for i, (p, u, k, at) in enumerate(c.reactions)),
        )
        states = c.read_states()
        counts["read_states"] = lo.write(
            "forum_topicreadstate",
            columns(
                "id user_id topic_id last_read_number notification_level first_visited_at "
                "last_visited_at"
            ),
            (
                (i + 1, user, topic, s[0], s[1], lo.ts(s[2]), lo.ts(s[3]))
                for i, ((user, topic), s) in enumerate(sorted(states.items()))
            ),
        )
    if ctx["activity"]:
        with phases("activity events"):
            counts["activity_events"] = lo.write(
                "core_activityevent",
                columns(
                    "id created_at actor_id verb target_type_id target_id target_label channel "
                    "source data"
                ),
                activity_rows(c, lo, ctx),
            )
    ctx["search_rows"] = search_rows
    ctx["samples"] = samples
    return counts


def activity_rows(c: Community, lo: Loader, ctx: dict):
    """The events the actions record, in time order, ids after the ones already there."""
    types, version = ctx["content_types"], ctx["guidelines_version"]
    category_ids = ctx["category_ids"]
    tag_name = dict(c.tag_names)
    events = []

    def add(at, actor, verb, model, target, label, **data):
        events.append((at, actor, verb, types[model], target, label, data))

    for m in c.members:
        add(m.joined, m.id, "member.signed_up", "user", m.id, f"@{m.handle}", role="member")
        add(m.joined + 1, m.id, "guidelines.accepted", "guidelines", ctx["guidelines_id"],
            f"v{version}", version=version)  # fmt: skip
    for t in c.topics:
        cid = category_ids[t.category]
        add(t.created, t.author, "topic.created", "topic", t.id, t.title, category=cid,
            anonymous=t.anonymous, tags=[tag_name[x] for x in t.tags])  # fmt: skip
        if t.first_response is not None:
            responder = next(
                c.post_author[p - 1] for p in t.post_ids[1:] if c.post_author[p - 1] != t.author
            )
            add(t.first_response, responder, "topic.first_response", "topic", t.id, t.title,
                category=cid, seconds=int(t.first_response - t.created))  # fmt: skip
        if t.accepted:
            add(t.solved_at, t.author, "topic.solved", "topic", t.id, t.title, category=cid,
                post=t.accepted, seconds=int(t.solved_at - t.created), by_asker=True)  # fmt: skip
            label = f"#{c.post_number[t.accepted - 1]} in {t.id}"
            add(t.solved_at, t.author, "answer.accepted", "post", t.accepted, label, topic=t.id,
                category=cid, previous=None)  # fmt: skip
    for index, topic_index in enumerate(c.post_topic):
        number, topic = c.post_number[index], c.topics[topic_index]
        cid, label, author = (
            category_ids[topic.category],
            f"#{number} in {topic.id}",
            c.post_author[index],
        )
        if number > 1:
            add(c.post_time[index], author, "post.created", "post", index + 1, label,
                topic=topic.id, category=cid, anonymous=bool(c.post_anon[index]),
                reply_to=c.post_reply_to[index])  # fmt: skip
        if c.post_deleted[index]:
            add(min(c.post_time[index] + 2 * HOUR, c.now - 1), author, "post.deleted", "post",
                index + 1, label, topic=topic.id, category=cid)  # fmt: skip
    for post_id, user, kind, at in c.reactions:
        topic = c.topics[c.post_topic[post_id - 1]]
        label = f"#{c.post_number[post_id - 1]} in {topic.id}"
        add(at, user, "post.reacted", "post", post_id, label, kind=kind, topic=topic.id,
            category=category_ids[topic.category])  # fmt: skip
    events.sort(key=lambda e: e[0])
    first = ctx["next_event_id"]
    for i, (at, actor, verb, type_id, target, label, data) in enumerate(events):
        yield (first + i, lo.ts(at), actor, verb, type_id, str(target), label[:200], "web",
               "direct", json.dumps(data))  # fmt: skip


# --- Through the actions: what there is one of ------------------------------------------------


def setup_through_actions(now: datetime) -> dict:
    from townsquare.accounts import actions as account_actions
    from townsquare.core import actions as core_actions
    from townsquare.forum import actions as forum_actions

    people = json.loads(PEOPLE_DEMO.read_text(encoding="utf-8"))["community"]
    guidelines = core_actions.publish_guidelines(None, people["guidelines"], "First version")
    core_actions.update_community(
        None,
        name=people["name"],
        tagline=people["tagline"]["en"],
        mission=people["mission"],
        goals=people["goals"],
    )
    staff = {}
    for email, handle, name, role in STAFF:
        user = account_actions.register_member(
            email=email, handle=handle, display_name=name, password=None, role=role
        )
        account_actions.accept_guidelines(user, guidelines)
        staff[handle] = user.pk
    data = json.loads(FORUM_DEMO.read_text(encoding="utf-8"))
    categories = {}
    for entry in sorted(data["categories"], key=lambda c: c["parent"] is not None):
        categories[entry["slug"]] = forum_actions.create_category(
            None,
            name=entry["name"],
            slug=entry["slug"],
            kind=entry["kind"],
            description=entry["description"],
            color=entry["color"],
            position=entry["position"],
            parent=categories.get(entry["parent"]),
            read_access=entry["read_access"],
        )
    return {"guidelines": guidelines, "staff": staff, "categories": categories}


def finish_through_actions(community: Community, setup: dict) -> None:
    """The rows there is one of, back-dated to the start of the history, and the benchmark
    member's muted category (through the action)."""
    from townsquare.accounts.models import User
    from townsquare.core.models import GuidelinesVersion
    from townsquare.forum import actions as forum_actions
    from townsquare.forum.models import Category

    start = datetime.fromtimestamp(community.start - 90 * DAY, UTC)
    User.objects.filter(pk__in=setup["staff"].values()).update(date_joined=start)
    GuidelinesVersion.objects.filter(pk=setup["guidelines"].pk).update(published_at=start)
    Category.objects.update(created_at=start)
    for slug, (topics, posts) in community.category_counts.items():
        Category.objects.filter(slug=slug).update(topic_count=topics, post_count=posts)
    bench = User.objects.get(pk=community.bench_id)
    forum_actions.set_category_level(bench, setup["categories"][MUTED_CATEGORY], 0)


# Each counts rows that break what the actions keep true; all must be 0.
CONSISTENCY_CHECKS = {
    "topic counters (replies, highest number)": """
        SELECT COUNT(*) FROM forum_topic t WHERE reply_count <> (
            SELECT COUNT(*) - 1 FROM forum_post p WHERE p.topic_id = t.id AND p.deleted_at IS NULL)
        OR highest_post_number <> (SELECT MAX(number) FROM forum_post p WHERE p.topic_id = t.id)
        OR highest_post_number <> (SELECT COUNT(*) FROM forum_post p WHERE p.topic_id = t.id)""",
    "topic last post": """
        SELECT COUNT(*) FROM forum_topic t WHERE last_posted_at <> (
            SELECT created_at FROM forum_post p WHERE p.topic_id = t.id AND p.deleted_at IS NULL
            ORDER BY number DESC LIMIT 1)
        OR last_poster_id <> (
            SELECT author_id FROM forum_post p WHERE p.topic_id = t.id AND p.deleted_at IS NULL
            ORDER BY number DESC LIMIT 1)""",
    "opening post matches topic": """
        SELECT COUNT(*) FROM forum_topic t JOIN forum_post p ON p.topic_id = t.id AND p.number = 1
        WHERE p.created_at <> t.created_at OR p.author_id <> t.author_id""",
    "topic reaction counts": """
        SELECT COUNT(*) FROM forum_topic t WHERE reaction_count <> (
            SELECT COUNT(*) FROM forum_reaction r JOIN forum_post p ON p.id = r.post_id
            WHERE p.topic_id = t.id)""",
    "category counts": """
        SELECT COUNT(*) FROM forum_category c WHERE topic_count <> (
            SELECT COUNT(*) FROM forum_topic t WHERE t.category_id = c.id AND t.deleted_at IS NULL)
        OR post_count <> (
            SELECT COUNT(*) FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id
            WHERE t.category_id = c.id AND p.deleted_at IS NULL AND t.deleted_at IS NULL)""",
    "post ids follow time": """
        SELECT COUNT(*) FROM forum_post a JOIN forum_post b ON b.id = a.id + 1
        WHERE b.created_at < a.created_at""",
    "accepted answers": """
        SELECT COUNT(*) FROM forum_topic t JOIN forum_post p ON p.id = t.accepted_post_id
        WHERE p.topic_id <> t.id OR p.number = 1 OR p.author_id = t.author_id
        OR t.solved_at < p.created_at""",
    "reactions on own posts": """
        SELECT COUNT(*) FROM forum_reaction r JOIN forum_post p ON p.id = r.post_id
        WHERE r.user_id = p.author_id""",
    "posters without read state": """
        SELECT COUNT(*) FROM (SELECT DISTINCT author_id, topic_id FROM forum_post) p
        WHERE NOT EXISTS (SELECT 1 FROM forum_topicreadstate s
                          WHERE s.user_id = p.author_id AND s.topic_id = p.topic_id)""",
}


def verify() -> dict:
    """Run the consistency checks; stop with the failures if any."""
    from django.db import connection

    failures = {}
    with connection.cursor() as cursor:
        for name, sql in CONSISTENCY_CHECKS.items():
            cursor.execute(sql)
            if bad := cursor.fetchone()[0]:
                failures[name] = bad
    if failures:
        sys.exit(f"Inconsistent community: {failures}")
    return {"consistency": f"{len(CONSISTENCY_CHECKS)} checks passed"}


def build_search_index(rows: list | None) -> dict:
    """The search index through the search app's bulk_index, when there is one."""
    try:
        from townsquare.search import index
    except ImportError:
        return {"built": False, "reason": "townsquare.search is not importable"}
    bulk_index = getattr(index, "bulk_index", None)
    if bulk_index is None:
        return {
            "built": False,
            "reason": "townsquare.search.index has no bulk_index yet "
            "(the search branch is not merged)",
        }
    import inspect

    options = {}
    parameters = inspect.signature(bulk_index).parameters
    if "total" in parameters:
        options["total"] = len(rows)
    if "workers" in parameters:
        options["workers"] = os.cpu_count() or 1
    written = bulk_index(iter(rows), **options)
    return {"built": True, "rows": written if isinstance(written, int) else len(rows)}


# --- Main -------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=50_000)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--big-topic-replies", type=int, default=10_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--now",
        type=lambda s: datetime.fromisoformat(s).astimezone(UTC),
        default=datetime.now(UTC).replace(second=0, microsecond=0),
        help="the end of the history (ISO time); default: this minute",
    )
    parser.add_argument(
        "--no-activity", dest="activity", action="store_false", help="write no activity events"
    )
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the consistency checks at the end",
    )
    parser.add_argument(
        "--with-search",
        action="store_true",
        help="build the search index too (needs the search app)",
    )
    parser.add_argument(
        "--no-sqlite-analyze",
        dest="sqlite_analyze",
        action="store_false",
        help="leave SQLite without planner statistics (a site runs ANALYZE after migrate "
        "and daily, see core.maintenance)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    phases = Phases()
    print(
        f"Generating {args.members:,} members, {args.topics:,} topics, {args.posts:,} posts "
        f"(seed {args.seed}) into {args.database_url}"
    )
    with phases("fresh database and migrations"):
        config = fresh_database(args.database_url)
        setup_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.models import Max

    from townsquare.accounts.models import GuidelinesAcceptance, User
    from townsquare.core.models import ActivityEvent, GuidelinesVersion
    from townsquare.forum.actions.posting import topic_slug
    from townsquare.forum.models import Post, Topic

    rng = random.Random(args.seed)
    with phases("community, staff and categories through the actions"):
        setup = setup_through_actions(args.now)
    with phases("text pool"):
        text = TextPool(rng)
    community = Community(args, rng, text)
    with phases("planning members, topics, posts, reactions"):
        community.plan_members(first_id=(User.objects.aggregate(m=Max("pk"))["m"] or 0) + 1)
        community.plan_topics(setup["categories"], setup["staff"])
        community.plan_posts()
        community.plan_reactions()
        community.plan_topic_state(setup["categories"])
    slugs: dict[str, str] = {}

    def slug(title: str) -> str:
        if title not in slugs:
            slugs[title] = topic_slug(title)
        return slugs[title]

    ctx = {
        "guidelines_version": setup["guidelines"].version,
        "guidelines_id": setup["guidelines"].pk,
        "next_acceptance_id": (GuidelinesAcceptance.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
        "next_event_id": (ActivityEvent.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
        "category_ids": {s: c.pk for s, c in setup["categories"].items()},
        "content_types": {
            "user": ContentType.objects.get_for_model(User).pk,
            "guidelines": ContentType.objects.get_for_model(GuidelinesVersion).pk,
            "topic": ContentType.objects.get_for_model(Topic).pk,
            "post": ContentType.objects.get_for_model(Post).pk,
        },
        "slug": slug,
        "activity": args.activity,
        "keep_text": args.with_search,
    }
    loader = Loader()
    loader.begin()
    counts = write_all(community, loader, phases, ctx)
    with phases("indexes, constraints and checks"):
        checks = loader.finish(sqlite_analyze=args.sqlite_analyze)
        finish_through_actions(community, setup)
    with phases("checking cooked text"):
        mismatched = sum(
            1
            for body, body_html, plain in ctx["samples"]
            if (cooked := text.cook(body)).html != body_html or cooked.text != plain
        )
        if mismatched:
            sys.exit(f"{mismatched} of {len(ctx['samples'])} sampled posts cook differently.")
    if args.verify:
        with phases("consistency checks"):
            checks |= verify()
    search = {"built": False, "reason": "not asked for (--with-search)"}
    if args.with_search:
        with phases("search index"):
            search = build_search_index(ctx["search_rows"])
        if not search["built"]:
            print(f"Search index skipped: {search['reason']}")
    big = max(community.topics, key=lambda t: t.highest)
    size = None
    if connection.vendor == "sqlite":
        size = Path(config["NAME"]).stat().st_size
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    summary = {
        "database": connection.vendor,
        "database_url": args.database_url,
        "seed": args.seed,
        "now": args.now.isoformat(),
        "counts": counts
        | {"categories": len(setup["categories"]), "tags": len(community.tag_names)},
        "big_topic": {"id": big.id, "posts": big.highest},
        "bench_member": BENCH_HANDLE,
        "database_bytes": size,
        "checks": checks | {"cooked_samples": len(ctx["samples"]), "cook_mismatches": 0},
        "search_index": search,
        "seconds": phases.seconds | {"total": phases.total},
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


if __name__ == "__main__":
    main()
