"""Writes that can wait: requests put items in memory, and each buffer writes them in one go
when it is full or old, after a response has gone out (``request_finished``), so pages
never wait for them. Page views (core.traffic) and topic views (forum.tracking) use it.
bench/pageview_overhead.py measures the cost."""

import atexit
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.signals import request_finished

Item = TypeVar("Item")


class WriteBuffer(Generic[Item]):
    def __init__(
        self,
        write: Callable[[list[Item]], None],
        *,
        max_items: Callable[[], int],
        max_seconds: Callable[[], float],
    ) -> None:
        # Limits are read at each check, so settings changed at run time (tests) apply.
        self._write, self._max_items, self._max_seconds = write, max_items, max_seconds
        self._lock = threading.Lock()
        self._items: list[Item] = []
        self._oldest = 0.0

    def add(self, item: Item) -> None:
        with self._lock:
            if not self._items:
                self._oldest = time.monotonic()
            self._items.append(item)

    def due(self) -> bool:
        return bool(self._items) and (
            len(self._items) >= self._max_items()
            or time.monotonic() - self._oldest >= self._max_seconds()
        )

    def flush(self) -> int:
        with self._lock:
            items, self._items = self._items, []
        if items:
            self._write(items)
        return len(items)


_buffers: list[WriteBuffer] = []


def register(buffer: WriteBuffer[Item]) -> WriteBuffer[Item]:
    _buffers.append(buffer)
    return buffer


def flush_all() -> int:
    return sum(buffer.flush() for buffer in _buffers)


def _flush_due(**kwargs: object) -> None:
    for buffer in _buffers:
        if buffer.due():
            buffer.flush()


def _flush_at_exit() -> None:
    for buffer in _buffers:
        with contextlib.suppress(Exception):  # the database may already be gone at exit
            buffer.flush()


def connect() -> None:
    request_finished.connect(_flush_due, dispatch_uid="townsquare.write_buffers")
    atexit.register(_flush_at_exit)
