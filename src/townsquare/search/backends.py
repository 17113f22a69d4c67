"""Where the index lives: one small interface, one backend per database vendor.

Both backends store the same thing: for each post, its analysed terms (analysis.terms) in
two fields, title (topic title and tags, opening posts only) and body. Neither database
analyses text itself: SQLite's FTS5 table uses the ``ascii`` tokenizer, which only splits
on the spaces we join terms with; PostgreSQL gets tsvector and tsquery *literals*, which
it stores and compares as given (no parser, no dictionary, no stemmer).

Reads return *candidates*: the newest posts that match and that the searcher may see,
found newest first and stopping at a limit, with the engine's relevance and whether they
hold the query as an exact phrase computed for those rows only (docs/search.md).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from townsquare.forum.models import Post

# Relevance of a term in the title (and tags) against one in the body.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0
# Ids per statement when deleting by id (well under SQLite's variable limit).
ID_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndexRow:
    post_id: int
    title: Sequence[str]
    body: Sequence[str]


@dataclass(frozen=True, slots=True)
class Candidate:
    post_id: int
    relevance: float
    created_at: datetime
    is_phrase: bool


@dataclass(frozen=True, slots=True)
class Policy:
    """SQL that is true when the post whose id is ``Backend.post_id_sql`` may be shown to
    the searcher and passes the filters: built from core.permissions.visible_posts."""

    sql: str
    params: tuple


class Backend(ABC):
    vendor: str
    # How the candidate queries name the indexed post's id (what a Policy refers to).
    post_id_sql: str

    @abstractmethod
    def write(self, rows: Sequence[IndexRow]) -> None:
        """Insert or replace the rows (one per post)."""

    def delete(self, post_ids: Sequence[int]) -> None:
        ids = list(post_ids)
        with connection.cursor() as cursor:
            for i in range(0, len(ids), ID_CHUNK):
                chunk = ids[i : i + ID_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(self._delete_sql.format(marks=marks), chunk)

    def prune(self) -> int:
        """Remove rows of posts that no longer exist; returns how many."""
        with connection.cursor() as cursor:
            cursor.execute(self._prune_sql.format(post=Post._meta.db_table))
            return max(cursor.rowcount, 0)

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table}")  # noqa: S608
            return cursor.fetchone()[0]

    def indexed(self, post_ids: Sequence[int]) -> set[int]:
        """Which of these posts have a row (tests, diagnostics)."""
        ids = list(post_ids)
        if not ids:
            return set()
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.id_column} FROM {self.table} WHERE {self.id_column} IN ({marks})",  # noqa: S608
                ids,
            )
            return {row[0] for row in cursor.fetchall()}

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def begin_bulk(self) -> None:  # noqa: B027 (an optional hook)
        """Before writing many rows (reindex, data generators)."""

    def end_bulk(self) -> None:  # noqa: B027 (an optional hook)
        """After writing many rows: leave the index in its fastest shape for reading."""

    @abstractmethod
    def candidates(
        self, terms: Sequence[str], phrase: Sequence[str] | None, policy: Policy, limit: int
    ) -> list[Candidate]:
        """The newest ``limit`` posts that contain every term and pass the policy, newest
        first, each with its relevance and whether it contains ``phrase`` (the query's
        terms in order, adjacent); one statement."""

    # Names used by the shared SQL above.
    table: str
    id_column: str
    _delete_sql: str
    _prune_sql: str


def _as_datetime(value: datetime | float | str) -> datetime:
    """Creation times as the drivers return them: seconds since the epoch (PostgreSQL,
    cheaper to read than timestamps), naive UTC datetimes or text (SQLite)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, UTC)


# --- SQLite: FTS5 ----------------------------------------------------------------------------


def fts5_string(term: str) -> str:
    """A term as an FTS5 string: whatever it holds, it is one phrase, never syntax."""
    return '"' + term.replace('"', '""') + '"'


class SqliteBackend(Backend):
    vendor = "sqlite"
    table = "search_post_fts"
    id_column = "rowid"
    post_id_sql = '"search_post_fts"."rowid"'
    _delete_sql = "DELETE FROM search_post_fts WHERE rowid IN ({marks})"
    _prune_sql = "DELETE FROM search_post_fts WHERE rowid NOT IN (SELECT id FROM {post})"

    def write(self, rows: Sequence[IndexRow]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT OR REPLACE INTO search_post_fts (rowid, title, body) VALUES (%s, %s, %s)",
                [(row.post_id, " ".join(row.title), " ".join(row.body)) for row in rows],
            )

    def end_bulk(self) -> None:
        # Merge the b-tree segments that many inserts leave behind into one.
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_post_fts (search_post_fts) VALUES ('optimize')")

    # The SQL below is built from constants and Django-compiled SQL (Policy), whose values
    # travel as parameters; no user text is ever part of it.
    def candidates(self, terms, phrase, policy, limit):
        """FTS5 reads its matches newest first (ORDER BY rowid DESC is the virtual table's
        own order), checks the policy for each, and stops at ``limit``; bm25 is computed
        for the rows kept only. The phrase is then looked up among the same rowids only
        (``rowid >=`` the oldest kept, a range FTS5 seeks to)."""
        post = Post._meta.db_table
        hits = (
            "SELECT rowid AS id, -bm25(search_post_fts, %s, %s) AS relevance, "  # noqa: S608
            f"(SELECT created_at FROM {post} WHERE {post}.id = search_post_fts.rowid) AS created "
            f"FROM search_post_fts WHERE search_post_fts MATCH %s AND EXISTS ({policy.sql}) "
            "ORDER BY rowid DESC LIMIT %s"
        )
        params: list = [TITLE_WEIGHT, BODY_WEIGHT, _fts5_all(terms), *policy.params, limit]
        if phrase:
            is_phrase = (
                "id IN (SELECT rowid FROM search_post_fts WHERE search_post_fts MATCH %s "
                "AND rowid >= (SELECT min(id) FROM hits))"
            )
            params.append(" + ".join(fts5_string(term) for term in phrase))
        else:
            is_phrase = "0"
        sql = f"WITH hits AS ({hits}) SELECT id, relevance, created, {is_phrase} FROM hits"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _candidates(cursor.fetchall())


def _fts5_all(terms: Sequence[str]) -> str:
    return " AND ".join(fts5_string(term) for term in terms)


def _candidates(rows: list[tuple]) -> list[Candidate]:
    found = [
        Candidate(post_id, float(relevance or 0), _as_datetime(created), bool(is_phrase))
        for post_id, relevance, created, is_phrase in rows
    ]
    found.sort(key=lambda candidate: -candidate.post_id)
    return found


# --- PostgreSQL: tsvector + GIN ----------------------------------------------------------------

# ts_rank_cd's weights are listed {D, C, B, A}; the body is D, the title A.
RANK_WEIGHTS = f"{{{BODY_WEIGHT / TITLE_WEIGHT}, 0, 0, 1}}"
# Divide the rank by 1 + log(document length), as BM25 favours shorter documents.
RANK_NORMALIZATION = 1
MAX_POSITION = 16383  # PostgreSQL keeps positions up to this
MAX_LEXEME_BYTES = 2046


def pg_literal(term: str) -> str:
    """A term as a quoted lexeme for tsvector and tsquery input."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(title: Sequence[str], body: Sequence[str]) -> str:
    """Title terms at positions 1.. with weight A, body terms after a gap (so the last title
    word and the first body word are not a phrase, as in FTS5's separate columns)."""
    positions: dict[str, list[str]] = {}
    position = 0
    for terms, weight in ((title, "A"), (body, "")):
        for term in terms:
            position += 1
            positions.setdefault(term, []).append(f"{min(position, MAX_POSITION)}{weight}")
        position += 1
    return " ".join(
        f"{pg_literal(term)}:{','.join(places)}"
        for term, places in positions.items()
        if len(term.encode()) <= MAX_LEXEME_BYTES
    )


class PostgresBackend(Backend):
    vendor = "postgresql"
    table = "search_post_vector"
    id_column = "post_id"
    post_id_sql = '"matches"."post_id"'
    _delete_sql = "DELETE FROM search_post_vector WHERE post_id IN ({marks})"
    _prune_sql = (
        "DELETE FROM search_post_vector v WHERE NOT EXISTS "
        "(SELECT 1 FROM {post} p WHERE p.id = v.post_id)"
    )
    INDEX_DDL = (
        "CREATE INDEX IF NOT EXISTS search_post_vector_gin ON search_post_vector USING gin (vector)"
    )

    def write(self, rows: Sequence[IndexRow]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_post_vector (post_id, vector) VALUES (%s, %s::tsvector) "
                "ON CONFLICT (post_id) DO UPDATE SET vector = EXCLUDED.vector",
                [(row.post_id, tsvector_literal(row.title, row.body)) for row in rows],
            )

    def begin_bulk(self) -> None:
        # Filling an empty table is much faster without its GIN index, built once at the end.
        if not self.count():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS search_post_vector_gin")

    def end_bulk(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(self.INDEX_DDL)
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute("ANALYZE search_post_vector")

    # For this query's transaction only (set_config(..., true)):
    # - random_page_cost 1.1: the index is expected in memory (as on any server sized for
    #   it), and at the default (4) the planner walks recent rows one by one for words in
    #   1-2% of posts where reading the GIN index's matches is 2-3 times faster;
    # - no parallel workers: a search is small, and workers compete with other requests;
    # - no JIT: the per-row policy check makes the cost estimate high enough to switch it
    #   on, and compiling (15+ ms) costs more than the query.
    # The same statement reads the newest post id of the index (see ``recent_window``).
    SETTINGS = (
        "SELECT set_config('random_page_cost', '1.1', true), "
        "set_config('max_parallel_workers_per_gather', '0', true), "
        "set_config('jit', 'off', true), "
        "(SELECT max(post_id) FROM search_post_vector)"
    )

    def candidates(self, terms, phrase, policy, limit):
        """Innermost, the matching post ids newest first, in two parts read one after the
        other: the newest ids of the index (``recent_window``), then the older ones, which
        PostgreSQL reads only when the newest did not yield ``limit`` visible posts. In
        each part the planner chooses between reading the matches from the GIN index and
        sorting them (rarer words) and walking the primary key backwards, testing each row
        (common words). Then the policy, checked row by row in that order until ``limit``
        rows pass: a few primary-key lookups per candidate, never one per match. The
        OFFSET 0 fences keep PostgreSQL from turning the check into a join over every
        match or over the posts table; the middle level has no ORDER BY of its own (a
        filter keeps the order of the rows it reads), so the planner knows that only
        ``limit`` rows are wanted. Rank and phrase are computed for the rows kept only."""
        all_terms = " & ".join(pg_literal(term) for term in terms)
        phrase_query = " <-> ".join(pg_literal(term) for term in phrase) if phrase else None
        is_phrase = "v.vector @@ %s::tsquery" if phrase_query else "false"
        # PostgreSQL's Append returns the parts of a UNION ALL one after the other, in order
        # (Parallel Append could interleave them, but SETTINGS turns parallel workers off).
        part = (
            "(SELECT post_id FROM search_post_vector WHERE vector @@ %s::tsquery "
            "AND post_id {} %s ORDER BY post_id DESC)"
        )
        sql = (
            "SELECT v.post_id, ts_rank_cd(%s::real[], v.vector, %s::tsquery, %s), "  # noqa: S608
            f"extract(epoch FROM p.created_at)::float8, {is_phrase} "
            "FROM (SELECT matches.post_id FROM ("
            f"{part.format('>')} UNION ALL {part.format('<=')} OFFSET 0) matches "
            f"WHERE EXISTS ({policy.sql} OFFSET 0) LIMIT %s) hits "
            "JOIN search_post_vector v ON v.post_id = hits.post_id "
            f"JOIN {Post._meta.db_table} p ON p.id = hits.post_id"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.SETTINGS)
            newest = cursor.fetchone()[-1] or 0
            # A constant in the SQL, so that the planner knows how small the first part is.
            boundary = newest - self.recent_window(newest, limit)
            params = [RANK_WEIGHTS, all_terms, RANK_NORMALIZATION]
            params += [phrase_query] if phrase_query else []
            params += [all_terms, boundary, all_terms, boundary, *policy.params, limit]
            cursor.execute(sql, params)
            return _candidates(cursor.fetchall())

    @staticmethod
    def recent_window(newest: int, limit: int) -> int:
        """How many of the newest ids the first part covers: sqrt(5000 * newest), and at
        least 20 times ``limit``. At a million posts, walking rows costs about 0.5 us a
        row and reading matches from the GIN index about 2.5 us a match, and the planner,
        which multiplies the frequencies of the words, takes two words that go together
        for rarer than they are ('dashboard & filter', in 5% of posts, was read from the
        index: 115 ms). The window bounds both ways: dense matches fill ``limit`` within
        it, and sparse ones leave few to read from the index (about 35 ms each at most)."""
        return max(limit * 20, math.isqrt(5000 * max(newest, 0)))


BACKENDS: dict[str, type[Backend]] = {"sqlite": SqliteBackend, "postgresql": PostgresBackend}


def get_backend() -> Backend:
    try:
        return BACKENDS[connection.vendor]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Search supports SQLite and PostgreSQL, not {connection.vendor}."
        ) from None
