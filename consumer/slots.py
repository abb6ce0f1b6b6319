"""Worker slots: ``WSBRIDGE_CONCURRENCY`` bounds the messages that work at the same time.

A message that only waits (for a scan's results, which take minutes on a manager) gives its slot up
meanwhile, so other messages use it, and takes a slot back before it goes on; messages taking a slot
back go before new receives. At most :data:`PARKED_PER_SLOT` waiting messages per slot give theirs
up; beyond that a waiting message keeps its slot, so the messages in flight stay bounded.

A busy daemon receives whole batches: once a slot is free, a receive may ask for a batch's worth of
messages (no more than there are slots), and those beyond the free slots wait in line for one (their
leases are kept alive meanwhile); the next receive waits until that line is empty, so at most one
batch waits. The slots a receive took are not kept from a message taking its slot back while the
receive is on its way (a long poll of an empty queue lasts 20 s).
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
class Reservation:
    """What one receive may ask for: ``slots`` messages that have a slot and ``queued`` that wait for one.

    While the receive is on its way, a message taking its slot back may take one of these slots
    (the receive's message it was meant for then waits in line instead)."""

    slots: int
    queued: int = 0

    @property
    def messages(self) -> int:
        """How many messages to ask for."""
        return self.slots + self.queued


@dataclass(slots=True)
class SlotLease:
    """The slot of one message: whether it holds one now, or waits in line for its first."""

    slots: WorkerSlots
    held: bool = True
    queued: bool = False


_current: ContextVar[SlotLease | None] = ContextVar("wsbridge_worker_slot", default=None)


class WorkerSlots:
    """The daemon's worker slots, shared by the receive loops and the messages.

    A freed slot goes straight to the message that has waited longest to take one back; only when
    none waits does it become free for receives, whose loops are woken by an event."""

    def __init__(self, size: int, parked_per_slot: int = PARKED_PER_SLOT) -> None:
        """``size`` slots, of which up to ``size * parked_per_slot`` waiting messages may give theirs up."""
        self.size = size
        self.free = size
        self.parked = 0
        self.queued = 0
        self._max_parked = size * parked_per_slot
        self._resumers: deque[asyncio.Future[None]] = deque()
        self._receiving: list[Reservation] = []
        self._freed = asyncio.Event()

    async def reserve(self, batch: int, hold: Callable[[], bool], while_waiting: Callable[[], None]) -> Reservation:
        """Take up to ``batch`` free slots, waiting for one while none is free, a message is waiting to
        take one, or ``hold()`` is true (``while_waiting`` runs about once a second meanwhile).

        When fewer slots are free because messages are working, the rest of the batch (up to ``size``
        messages in all) may be received too and wait in line for a slot."""
        while self.free == 0 or self._resumers or (self.queued and self.free < batch) or hold():
            while_waiting()
            self._freed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), timeout=1.0)
        taken = min(batch, self.free)
        self.free -= taken
        places = max(0, min(batch, self.size) - taken - self.queued)
        self.queued += places
        reservation = Reservation(taken, places)
        self._receiving.append(reservation)
        return reservation

    def received(self, reservation: Reservation, count: int) -> int:
        """A receive for ``reservation`` got ``count`` messages: give back what they do not use.
        The first of them (as many as it returns) have a slot; the others wait in line for one."""
        with contextlib.suppress(ValueError):
            self._receiving.remove(reservation)
        with_slot = min(count, reservation.slots)
        self._unqueue(reservation.queued - (count - with_slot))
        self._hand_over(reservation.slots - with_slot)
        return with_slot

    def lease(self, *, held: bool = True) -> SlotLease:
        """Bind one reserved slot (``held``) or a place in line for one to the current task's message
        (see :func:`waiting` and :func:`take_slot`)."""
        lease = SlotLease(self, held=held, queued=not held)
        _current.set(lease)
        return lease

    def release(self, lease: SlotLease) -> None:
        """The message is done: its slot, if it holds one, is free again (its place in line, if it
        still waited for its first, too)."""
        if lease.queued:
            lease.queued = False
            self._unqueue(1)
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
            await self._take()
            lease.held = True
        finally:
            self.parked -= 1

    async def start(self, lease: SlotLease) -> None:
        """Take a slot for a message received without one (see :meth:`reserve`), before any new receive."""
        if not lease.queued:
            return
        try:
            await self._take()
            lease.held = True
        finally:
            lease.queued = False
            self._unqueue(1)

    async def _take(self) -> None:
        if not self._resumers and (self.free > 0 or self._from_a_receive()):
            self.free -= 1
            return
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

    def _from_a_receive(self) -> bool:
        """Move a slot of a receive on its way to ``free`` (its message will wait in line instead)."""
        for reservation in reversed(self._receiving):
            if reservation.slots > 0:
                reservation.slots -= 1
                reservation.queued += 1
                self.queued += 1
                self.free += 1
                return True
        return False

    def _unqueue(self, count: int) -> None:
        self.queued -= count
        if count > 0 and self.free > 0:
            self._freed.set()

    def _hand_over(self, count: int) -> None:
        while count > 0 and self._resumers:
            handed = self._resumers.popleft()
            if not handed.done():
                handed.set_result(None)
                count -= 1
        if count > 0:
            self.free += count
            self._freed.set()


async def take_slot() -> None:
    """Wait until the current message has a worker slot (it may have been received without one)."""
    lease = _current.get()
    if lease is not None:
        await lease.slots.start(lease)


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
