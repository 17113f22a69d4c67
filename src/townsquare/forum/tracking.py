"""Topic view counts, kept cheaply: reading a topic adds its id to an in-memory buffer
(core.buffers), written as one update per topic when the buffer is flushed, after the
response. A view count is a popularity measure, not a record, so it is not an activity
event."""

from collections import Counter

from django.db.models import F
from django.http import HttpRequest

from townsquare.core import buffers
from townsquare.core.buffers import WriteBuffer
from townsquare.core.middleware import BOT_RE
from townsquare.forum.models import Topic

FLUSH_SECONDS = 30
FLUSH_SIZE = 200


def _write_topic_views(topic_ids: list[int]) -> None:
    for topic_id, views in Counter(topic_ids).items():
        Topic.objects.filter(pk=topic_id).update(view_count=F("view_count") + views)


counter = buffers.register(
    WriteBuffer(_write_topic_views, max_items=lambda: FLUSH_SIZE, max_seconds=lambda: FLUSH_SECONDS)
)


def count_topic_view(request: HttpRequest, topic: Topic) -> None:
    """Count a person reading a topic: not bots, not htmx fragments, not its author."""
    if request.headers.get("hx-request") or BOT_RE.search(request.headers.get("user-agent", "")):
        return
    if request.user.is_authenticated and request.user.pk == topic.author_id:
        return
    counter.add(topic.pk)
