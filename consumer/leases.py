"""The leases of the messages in flight, kept by one task.

Each message's visibility timeout is extended every ``WSBRIDGE_VISIBILITY_TIMEOUT_SECONDS / 3``
(at least 1 s) while it is processed. Messages due within a tenth of that interval of each other are
extended together, ten per ChangeMessageVisibilityBatch call, so hundreds of messages waiting for
scan results cost a few calls per interval, not one each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from wsbridge.consumer.sqs import Message, QueueClient

_GATHER_FRACTION = 0.1


class LeaseKeeper:
    """Extends the leases of the messages it keeps until they are dropped."""

    def __init__(
        self,
        queue: QueueClient,
        interval_seconds: float,
        visibility_timeout_seconds: int,
        on_extended: Callable[[Message], None],
    ) -> None:
        """Start :meth:`run` as a task; each kept message is extended to ``visibility_timeout_seconds``
        every ``interval_seconds`` and ``on_extended`` is called for each extension."""
        self._queue = queue
        self._interval = interval_seconds
        self._visibility_timeout = visibility_timeout_seconds
        self._on_extended = on_extended
        self._due: dict[str, tuple[Message, float]] = {}
        self._kept = asyncio.Event()
        self._extending: set[str] = set()
        self._extended: asyncio.Future[None] | None = None

    def keep(self, message: Message) -> None:
        """Extend the message's lease from one interval from now on."""
        self._due[message.receipt_handle] = (message, asyncio.get_running_loop().time() + self._interval)
        self._kept.set()

    async def drop(self, message: Message) -> None:
        """Stop extending the message's lease; returns once no extension of it is on its way to SQS, so
        a visibility change made next is not overwritten."""
        self._due.pop(message.receipt_handle, None)
        if message.receipt_handle in self._extending and self._extended is not None:
            await asyncio.shield(self._extended)

    async def run(self) -> None:
        """Extend leases as they fall due, until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._due:
                self._kept.clear()
                await self._kept.wait()
                continue
            first_due = next(iter(self._due.values()))[1]
            now = loop.time()
            if first_due > now:
                await asyncio.sleep(first_due - now)
                continue
            await self._extend_due(now, loop)

    async def _extend_due(self, now: float, loop: asyncio.AbstractEventLoop) -> None:
        horizon = now + self._interval * _GATHER_FRACTION
        due: list[Message] = []
        for message, at in self._due.values():
            if at > horizon:
                break
            due.append(message)
        next_due = now + self._interval
        for message in due:
            del self._due[message.receipt_handle]
            self._due[message.receipt_handle] = (message, next_due)
        self._extending = {message.receipt_handle for message in due}
        self._extended = loop.create_future()
        try:
            extended = await self._queue.extend(due, self._visibility_timeout)
        finally:
            self._extended.set_result(None)
            self._extending = set()
        for message in extended:
            if message.receipt_handle in self._due:
                self._on_extended(message)
