"""Worker slots: ``WSBRIDGE_CONCURRENCY`` bounds the messages that work at the same time.

A message that only waits (for a scan's results, which take minutes on a manager) gives its slot up
meanwhile, so other messages use it, and takes a slot back before it goes on; messages taking a slot
back go before new receives. At most :data:`PARKED_PER_SLOT` waiting messages per slot give theirs
up; beyond that a waiting message keeps its slot, so the messages in flight stay bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass

PARKED_PER_SLOT = 16
"""Waiting messages without a slot, per worker slot."""


@dataclass(slots=True)
class SlotLease:
    """The slot of one message: whether it holds it now."""

    slots: WorkerSlots
    held: bool = True


_current: ContextVar[SlotLease | None] = ContextVar("wsbridge_worker_slot", default=None)


class WorkerSlots:
    """The daemon's worker slots, shared by the receive loops and the messages.

    A freed slot goes straight to the message that has waited longest to take one back; only when
    none waits does it become free for receives, whose loops are woken by an event."""

    def __init__(self, size: int, parked_per_slot: int = PARKED_PER_SLOT) -> None:
        """``size`` slots, of which up to ``size * parked_per_slot`` waiting messages may give theirs up."""
        self.free = size
        self.parked = 0
        self._max_parked = size * parked_per_slot
        self._resumers: deque[asyncio.Future[None]] = deque()
        self._freed = asyncio.Event()

    async def reserve(self, at_most: int, hold: Callable[[], bool], while_waiting: Callable[[], None]) -> int:
        """Take up to ``at_most`` free slots, waiting for one while none is free, a waiting message is
        taking one back, or ``hold()`` is true (``while_waiting`` runs about once a second meanwhile)."""
        while self.free == 0 or self._resumers or hold():
            while_waiting()
            self._freed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), timeout=1.0)
        taken = min(at_most, self.free)
        self.free -= taken
        return taken

    def give_back(self, count: int) -> None:
        """Return ``count`` slots taken by :meth:`reserve`."""
        self._hand_over(count)

    def lease(self) -> SlotLease:
        """Bind one reserved slot to the current task's message (see :func:`waiting`)."""
        lease = SlotLease(self)
        _current.set(lease)
        return lease

    def release(self, lease: SlotLease) -> None:
        """The message is done: its slot, if it holds one, is free again."""
        if lease.held:
            lease.held = False
            self._hand_over(1)

    def park(self, lease: SlotLease) -> bool:
        """Give the lease's slot up while its message waits; ``False`` when it keeps it."""
        if not lease.held or self.parked >= self._max_parked:
            return False
        self.parked += 1
        lease.held = False
        self._hand_over(1)
        return True

    async def resume(self, lease: SlotLease) -> None:
        """Take a slot back for a parked message, before any new receive."""
        try:
            if self.free > 0 and not self._resumers:
                self.free -= 1
            else:
                handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._resumers.append(handed)
                try:
                    await handed
                except asyncio.CancelledError:
                    if handed.done() and not handed.cancelled():
                        self._hand_over(1)
                    else:
                        with contextlib.suppress(ValueError):
                            self._resumers.remove(handed)
                    raise
            lease.held = True
        finally:
            self.parked -= 1

    def _hand_over(self, count: int) -> None:
        while count > 0 and self._resumers:
            handed = self._resumers.popleft()
            if not handed.done():
                handed.set_result(None)
                count -= 1
        if count > 0:
            self.free += count
            self._freed.set()


@contextlib.asynccontextmanager
async def waiting() -> AsyncIterator[None]:
    """Give up the current message's worker slot while the block only waits; take one back after.

    Outside a message (``replay``, tests) or beyond the bound of waiting messages, nothing changes.
    """
    lease = _current.get()
    if lease is None or not lease.slots.park(lease):
        yield
        return
    try:
        yield
    finally:
        await lease.slots.resume(lease)
