"""Topic view counts, kept cheaply: a page view adds one to an in-memory counter, and the
counters are written in one go when they are due (after the response, like page views in
core.traffic), so reading a topic never waits on a write."""

import atexit
import contextlib
import threading
import time
from collections import Counter

from django.core.signals import request_finished
from django.db.models import F
from django.http import HttpRequest

from townsquare.core.middleware import BOT_RE
from townsquare.forum.models import Topic

FLUSH_SECONDS = 30
FLUSH_SIZE = 200


class TopicViewCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._oldest = 0.0

    def add(self, topic_id: int) -> None:
        with self._lock:
            if not self._counts:
                self._oldest = time.monotonic()
            self._counts[topic_id] += 1

    def due(self) -> bool:
        return bool(self._counts) and (
            sum(self._counts.values()) >= FLUSH_SIZE
            or time.monotonic() - self._oldest >= FLUSH_SECONDS
        )

    def flush(self) -> int:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        for topic_id, views in counts.items():
            Topic.objects.filter(pk=topic_id).update(view_count=F("view_count") + views)
        return sum(counts.values())


counter = TopicViewCounter()


def count_topic_view(request: HttpRequest, topic: Topic) -> None:
    """Count a person reading a topic: not bots, not htmx fragments, not its author."""
    if request.headers.get("hx-request") or BOT_RE.search(request.headers.get("user-agent", "")):
        return
    if request.user.is_authenticated and request.user.pk == topic.author_id:
        return
    counter.add(topic.pk)


def _flush_when_due(**kwargs: object) -> None:
    if counter.due():
        counter.flush()


def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # the database may already be gone at exit
        counter.flush()


def connect() -> None:
    request_finished.connect(_flush_when_due, dispatch_uid="townsquare.topic_views")
    atexit.register(_flush_at_exit)
