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
    return time.monotonic() - start
