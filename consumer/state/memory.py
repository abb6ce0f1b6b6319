"""The default store: process-local, bounded, forgotten on restart."""

from __future__ import annotations

import time
from collections import OrderedDict

from wsbridge.consumer.state.store import Claim, DedupeStore

DEFAULT_MAX_ENTRIES = 100_000
"""About 25 MiB of keys; at a sustained 1,000 messages/s a 1 h TTL alone would keep 3.6 million."""


class MemoryDedupeStore(DedupeStore):
    """A process-local store; expired keys are swept lazily, and beyond ``max_entries`` the keys
    written longest ago are forgotten first, so memory stays bounded whatever the message rate."""

    in_process = True

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, tuple[Claim, float]] = OrderedDict()
        self._max_entries = max_entries
        self._now = time.monotonic

    def __len__(self) -> int:
        return len(self._entries)

    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        """See :meth:`DedupeStore.claim`."""
        now = self._now()
        self._sweep(now)
        entry = self._entries.get(key)
        if entry is not None and entry[1] > now:
            return entry[0]
        self._put(key, Claim.IN_PROGRESS, now + ttl_seconds)
        return Claim.NEW

    async def complete(self, key: str, ttl_seconds: float) -> None:
        """See :meth:`DedupeStore.complete`."""
        if ttl_seconds <= 0:
            self._entries.pop(key, None)
            return
        self._put(key, Claim.DONE, self._now() + ttl_seconds)

    async def release(self, key: str) -> None:
        """See :meth:`DedupeStore.release`."""
        self._entries.pop(key, None)

    def _put(self, key: str, state: Claim, expires_at: float) -> None:
        self._entries[key] = (state, expires_at)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _sweep(self, now: float) -> None:
        while self._entries:
            key, (_, expires_at) = next(iter(self._entries.items()))
            if expires_at > now:
                return
            del self._entries[key]
