"""Placeholder until the search branch lands: the forum's actions call this after posts
change. Replaced by the real index (search/index.py on branch `search`)."""

from collections.abc import Iterable


def schedule_indexing(post_ids: Iterable[int]) -> None:
    """Queue posts for (re)indexing after the transaction commits."""
