"""Where the index lives: one small interface, one backend per database vendor.

Both backends store the same thing: for each post, its analysed terms (analysis.terms) in
two fields, title (topic title and tags, opening posts only) and body. Neither database
analyses text itself: SQLite's FTS5 table uses the ``ascii`` tokenizer, which only splits
on the spaces we join terms with; PostgreSQL gets tsvector and tsquery *literals*, which
it stores and compares as given (no parser, no dictionary, no stemmer).

Reads are "streams": the newest matching posts the searcher may see, newest first, with
the engine's relevance computed only for the rows returned (docs/search.md).
"""

from __future__ import annotations

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
    def streams(
        self, terms: Sequence[str], phrase: Sequence[str] | None, policy: Policy, limit: int
    ) -> tuple[list[Candidate], list[Candidate]]:
        """The newest ``limit`` visible posts containing every term, and (when a phrase is
        given) the newest ``limit`` visible posts containing the phrase, each with its
        relevance to its own query; one database round trip."""

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
    def _stream_sql(self, policy: Policy) -> str:
        return (
            "SELECT rowid, -bm25(search_post_fts, %s, %s), "  # noqa: S608
            f"(SELECT created_at FROM {Post._meta.db_table} "
            f"WHERE {Post._meta.db_table}.id = search_post_fts.rowid) "
            "FROM search_post_fts "
            f"WHERE search_post_fts MATCH %s AND EXISTS ({policy.sql}) "
            "ORDER BY rowid DESC LIMIT %s"
        )

    def streams(self, terms, phrase, policy, limit):
        weights = (TITLE_WEIGHT, BODY_WEIGHT)
        all_terms = " AND ".join(fts5_string(term) for term in terms)
        sql = f"SELECT 0, * FROM ({self._stream_sql(policy)})"  # noqa: S608
        params: list = [*weights, all_terms, *policy.params, limit]
        if phrase:
            sql += f" UNION ALL SELECT 1, * FROM ({self._stream_sql(policy)})"  # noqa: S608
            params += [*weights, " + ".join(fts5_string(t) for t in phrase), *policy.params, limit]
        return _split(self._fetch(sql, params))

    @staticmethod
    def _fetch(sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _split(rows: list[tuple]) -> tuple[list[Candidate], list[Candidate]]:
    streams: tuple[list[Candidate], list[Candidate]] = ([], [])
    for stream, post_id, relevance, created_at in rows:
        streams[stream].append(Candidate(post_id, float(relevance or 0), _as_datetime(created_at)))
    for stream in streams:
        stream.sort(key=lambda c: -c.post_id)
    return streams


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
    post_id_sql = '"search_post_vector"."post_id"'
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

    def _stream_sql(self, policy: Policy) -> str:
        # The inner query finds the newest visible matches (an index scan by post id
        # checking each row, or the GIN index, as the planner sees fit); only the rows it
        # keeps are ranked. OFFSET 0 keeps the policy a check per matching row (a few
        # primary-key lookups each) rather than a semi-join, which would walk the posts
        # table from the newest post down to the oldest match.
        return (
            "SELECT %s, v.post_id, ts_rank_cd(%s::real[], v.vector, %s::tsquery, %s), "  # noqa: S608
            "extract(epoch FROM p.created_at)::float8 FROM ("
            "SELECT post_id FROM search_post_vector "
            f"WHERE vector @@ %s::tsquery AND EXISTS ({policy.sql} OFFSET 0) "
            "ORDER BY post_id DESC LIMIT %s) hits "
            "JOIN search_post_vector v ON v.post_id = hits.post_id "
            f"JOIN {Post._meta.db_table} p ON p.id = hits.post_id"
        )

    def streams(self, terms, phrase, policy, limit):
        queries = [(0, " & ".join(pg_literal(term) for term in terms))]
        if phrase:
            queries.append((1, " <-> ".join(pg_literal(term) for term in phrase)))
        sql = " UNION ALL ".join(f"({self._stream_sql(policy)})" for _ in queries)
        params: list = []
        for stream, tsquery in queries:
            params += [stream, RANK_WEIGHTS, tsquery, RANK_NORMALIZATION, tsquery]
            params += [*policy.params, limit]
        with transaction.atomic(), connection.cursor() as cursor:
            # The planner's cost for the per-row policy check is high enough to switch JIT
            # compilation on, which costs more (15+ ms) than the whole query saves.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            return _split(cursor.fetchall())


BACKENDS: dict[str, type[Backend]] = {"sqlite": SqliteBackend, "postgresql": PostgresBackend}


def get_backend() -> Backend:
    try:
        return BACKENDS[connection.vendor]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Search supports SQLite and PostgreSQL, not {connection.vendor}."
        ) from None
