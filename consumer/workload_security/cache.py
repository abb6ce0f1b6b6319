"""A small async TTL cache with single-flight loading.

Concurrent misses on one key share one load, so a burst of findings about the same instance
costs one API read. A failed load is not cached, nor is a load that overlapped an invalidation.
``ttl_seconds <= 0`` keeps single-flight but stores nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values expire ``ttl_seconds`` after they were stored; at most ``max_entries`` are kept."""

    def __init__(
        self, ttl_seconds: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Task[V]] = {}
        self._generation = 0
        self._changed_while_loading: set[K] = set()

    def get(self, key: K) -> V | None:
        """The fresh value for ``key``, else ``None``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value`` (no-op when caching is disabled)."""
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._evict()
        self._entries[key] = (self._clock() + self.ttl_seconds, value)

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or the result of ``load()`` shared with concurrent callers for ``key``."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(key, load))
            self._loading[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def invalidate(self, key: K) -> None:
        """Forget ``key``."""
        self._generation += 1
        self._entries.pop(key, None)

    def invalidate_where(self, predicate: Callable[[V], bool]) -> int:
        """Forget every value for which ``predicate`` holds; returns how many were dropped."""
        self._generation += 1
        stale = [key for key, (_, value) in self._entries.items() if predicate(value)]
        for key in stale:
            del self._entries[key]
        return len(stale)

    def update_where(self, change: Callable[[V], V | None]) -> int:
        """Replace every value ``change`` returns a new one for, keeping its expiry (loads under way
        are not stored); returns how many changed."""
        self._generation += 1
        changed = 0
        for key, (expires, value) in list(self._entries.items()):
            new = change(value)
            if new is not None:
                self._entries[key] = (expires, new)
                changed += 1
        return changed

    def update(self, key: K, change: Callable[[V], V | None]) -> bool:
        """:meth:`update_where` for one key (a load of that key under way is not stored); True when it changed."""
        if key in self._loading:
            self._changed_while_loading.add(key)
        entry = self._entries.get(key)
        if entry is None:
            return False
        new = change(entry[1])
        if new is None:
            return False
        self._entries[key] = (entry[0], new)
        return True

    def clear(self) -> None:
        """Forget everything."""
        self._generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        generation = self._generation
        self._changed_while_loading.discard(key)
        value = await load()
        if generation == self._generation and key not in self._changed_while_loading:
            self.put(key, value)
        self._changed_while_loading.discard(key)
        return value

    def _finished(self, key: K, task: asyncio.Task[V]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]
        if not task.cancelled():
            task.exception()

    def _evict(self) -> None:
        now = self._clock()
        for key in [key for key, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
