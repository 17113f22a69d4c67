"""Keeping the database's query planner informed.

SQLite keeps no statistics until ``ANALYZE`` runs; without them it may read a whole
table through the wrong index (bench/results: member lists about twice as slow at a
million posts). Townsquare analyses after every ``migrate`` and once a day (the beat
schedule). PostgreSQL's autovacuum does this by itself, so there it is left alone.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connections


def analyze_database(using: str = DEFAULT_DB_ALIAS) -> float | None:
    """Refresh SQLite's planner statistics; return the seconds it took (None elsewhere)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    start = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # Full-text indexes (FTS5) live in shadow tables that grow by the minute, and FTS5
        # deletes merged segments by key. Statistics taken while they were small (after the
        # first migrate, say) made SQLite scan the whole index for each of those deletes:
        # 0.75 s a merge, every 15 new posts, at a million posts. Without statistics SQLite
        # assumes a large table and uses the key.
        cursor.execute(
            "DELETE FROM sqlite_stat1 WHERE EXISTS (SELECT 1 FROM sqlite_master AS fts"
            " WHERE fts.type = 'table' AND fts.sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%'"
            " AND substr(sqlite_stat1.tbl, 1, length(fts.name) + 1) = fts.name || '_')"
        )
        cursor.execute("ANALYZE sqlite_master")  # reload the statistics just changed
    return time.monotonic() - start
