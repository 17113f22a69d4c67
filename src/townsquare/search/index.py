"""Keeping the search index up to date. What the forum's actions call:

- ``schedule_indexing(post_ids)`` after creating or editing posts, and with the opening
  post's id after renaming a topic or changing its tags (only the opening post carries the
  title and tags). Indexing runs as a background job once the transaction commits.

Deleting, recovering, unlisting or moving content needs no reindexing: the index holds
only terms, and who may see what is decided at query time against the live forum tables.
Hidden content is the exception: the index keeps no terms of what the moderators hid
(``INDEXED``), so hiding and unhiding reindex the posts concerned
(moderation.actions.review).

``reindex_all`` rebuilds everything (``townsquare reindex``); ``bulk_index`` takes
(post id, title text, body text) tuples from a data generator without reading posts.
"""

import itertools
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from django.db import connection, connections, transaction
from django.db.models import Q

from townsquare.forum.models import Post, PostKind, TopicTag
from townsquare.search.analysis import terms
from townsquare.search.backends import IndexRow, get_backend

TASK_CHUNK = 500
BATCH_SIZE = 2000

TextRow = tuple[int, str, str]  # post id, title and tags (opening posts) or "", body text


def schedule_indexing(post_ids: Iterable[int]) -> None:
    """Index these posts in the background once the current transaction commits."""
    ids = sorted({int(post_id) for post_id in post_ids})
    if not ids:
        return

    def enqueue() -> None:
        from townsquare.search.tasks import index_posts

        for i in range(0, len(ids), TASK_CHUNK):
            index_posts.delay(ids[i : i + TASK_CHUNK])

    transaction.on_commit(enqueue)


def analyse(row: TextRow) -> IndexRow:
    post_id, title, body = row
    return IndexRow(post_id, terms(title) if title else [], terms(body))


def _text_rows(posts: list[dict]) -> list[TextRow]:
    """(id, title + tags for opening posts, body text) for posts read as values()."""
    opening_topics = [post["topic_id"] for post in posts if post["number"] == 1]
    tags: dict[int, list[str]] = {}
    if opening_topics:
        for topic_id, name in TopicTag.objects.filter(topic_id__in=opening_topics).values_list(
            "topic_id", "tag__name"
        ):
            tags.setdefault(topic_id, []).append(name)
    return [
        (
            post["id"],
            " ".join([post["topic__title"], *sorted(tags.get(post["topic_id"], []))])
            if post["number"] == 1
            else "",
            post["text"],
        )
        for post in posts
    ]


POST_FIELDS = ("id", "number", "topic_id", "topic__title", "text")
# What the index holds: regular posts that the moderators have not hidden.
INDEXED = Q(kind=PostKind.REGULAR, hidden_at__isnull=True, topic__hidden_at__isnull=True)


def index_now(post_ids: Sequence[int]) -> int:
    """Bring these posts' rows up to date from the database: written for posts that exist,
    removed for posts that do not (or are moderator action lines, never searched, or are
    hidden).
    Idempotent. Returns the number of rows written."""
    ids = sorted({int(post_id) for post_id in post_ids})
    backend = get_backend()
    posts = list(Post.objects.filter(INDEXED, id__in=ids).values(*POST_FIELDS))
    rows = [analyse(row) for row in _text_rows(posts)]
    found = {row.post_id for row in rows}
    with transaction.atomic():
        backend.delete([post_id for post_id in ids if post_id not in found])
        backend.write(rows)
    return len(rows)


# --- Building the whole index ---------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0


ProgressCallback = Callable[[Progress], None]


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _analyse_batch(batch: list[TextRow]) -> list[IndexRow]:
    return [analyse(row) for row in batch]


def _analysed(batches: Iterable[list[TextRow]], workers: int) -> Iterator[list[IndexRow]]:
    """Analysed batches, in order. With more than one worker, analysis (jieba above all)
    runs in forked processes while this one keeps reading and writing: workers only
    analyse text, every database query stays in this process and thread."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    if workers <= 1:
        for batch in itertools.chain([first], batches):
            yield _analyse_batch(batch)
        return
    terms("预热")  # load jieba's dictionary once, before forking, so workers share it
    if not connection.in_atomic_block:
        connections.close_all()  # children need no database connections of ours
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque = deque()
        for batch in itertools.chain([first], batches):
            pending.append(pool.apply_async(_analyse_batch, (batch,)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def bulk_index(
    rows: Iterable[TextRow],
    *,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
    total: int = 0,
    progress: ProgressCallback | None = None,
) -> int:
    """Index (post id, title text, body text) rows in batches, for generators and
    ``reindex_all``: the title text is the topic title and tag names for opening posts and
    "" for replies. Rows replace existing ones. Returns the number of rows written."""
    backend = get_backend()
    backend.begin_bulk()
    started, done = time.monotonic(), 0
    try:
        for analysed in _analysed(_batches(rows, batch_size), workers):
            with transaction.atomic():
                backend.write(analysed)
            done += len(analysed)
            if progress:
                progress(Progress(done, total, time.monotonic() - started))
    finally:
        backend.end_bulk()
    return done


def _all_text_rows(batch_size: int) -> Iterator[TextRow]:
    """Every regular post, by id, read in keyset-paginated batches."""
    last_id = 0
    while True:
        posts = list(
            Post.objects.filter(INDEXED, id__gt=last_id)
            .order_by("id")
            .values(*POST_FIELDS)[:batch_size]
        )
        if not posts:
            return
        yield from _text_rows(posts)
        last_id = posts[-1]["id"]


def reindex_all(
    *,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
    progress: ProgressCallback | None = None,
) -> int:
    """Rebuild the index from every post. Rows are replaced in place, so search keeps
    answering (from the old rows) while this runs; rows of posts that are gone are removed
    at the end. Returns the number of posts indexed."""
    total = Post.objects.filter(INDEXED).count()
    done = bulk_index(
        _all_text_rows(batch_size),
        batch_size=batch_size,
        workers=workers,
        total=total,
        progress=progress,
    )
    backend = get_backend()
    backend.prune()
    backend.delete(list(Post.objects.exclude(INDEXED).values_list("id", flat=True)))
    return done
