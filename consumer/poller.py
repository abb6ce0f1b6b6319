"""Receive loops, bounded concurrency and the shutdown drain.

Each receive loop asks for as many messages as there are free worker slots, or for a whole batch when
messages are working and the rest of it can wait in line for a slot (see :mod:`wsbridge.consumer.slots`;
a message waiting for a scan's results gives its slot up meanwhile),
and not at all while a middleware holds receives (see :mod:`wsbridge.consumer.middleware.backpressure`); each received
message runs in its own task (see :mod:`wsbridge.consumer.worker`). ``stop()`` stops receiving at
once and drains until the deadline, then cancels what is still processing and makes those messages
visible again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import structlog

from wsbridge.consumer.leases import LeaseKeeper
from wsbridge.consumer.middleware import Middleware
from wsbridge.consumer.pipeline import Assessment, Pipeline
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.slots import Reservation, WorkerSlots
from wsbridge.consumer.sqs import MAX_BATCH, BatchDeleter, Message, QueueClient
from wsbridge.consumer.worker import MessageWorker

_ERROR_BACKOFF_MAX_SECONDS = 30.0


@dataclass
class _InFlight:
    message: Message
    assessment: Assessment
    has_slot: bool
    task: asyncio.Task[None] | None = None
    settling: bool = False

    @property
    def key(self) -> str:
        return self.message.message_id + self.message.receipt_handle

    def mark_settling(self) -> None:
        self.settling = True


class Poller:
    """Runs the receive loops and the message tasks of one daemon."""

    def __init__(
        self,
        settings: Settings,
        queue: QueueClient,
        deleter: BatchDeleter,
        pipeline: Pipeline,
        middleware: Middleware | None = None,
    ) -> None:
        """The middleware's ``hold_receives`` is read before every receive; while it is true, nothing is received."""
        self._settings = settings
        self._queue = queue
        self._deleter = deleter
        self._middleware = middleware or Middleware()
        self._pipeline = pipeline
        self._leases = LeaseKeeper(
            queue,
            settings.heartbeat_interval_seconds,
            settings.visibility_timeout_seconds,
            self._middleware.after_lease_extended,
        )
        self._worker = MessageWorker(settings, queue, deleter, self._leases, pipeline, self._middleware)
        self._slots = WorkerSlots(settings.concurrency)
        self._stopping = asyncio.Event()
        self._stopped_at: float | None = None
        self._in_flight: dict[str, _InFlight] = {}
        self._loop_alive_at: dict[int, float] = {}
        self._log = structlog.get_logger("wsbridge.poller")

    def stop(self) -> None:
        """Stop receiving now; :meth:`run` then drains and returns."""
        if self._stopped_at is None:
            self._stopped_at = time.monotonic()
        self._stopping.set()

    def drain_time_left(self) -> float:
        """Seconds left of the drain deadline since :meth:`stop` (the whole deadline before it)."""
        if self._stopped_at is None:
            return self._settings.drain_seconds
        return max(self._settings.drain_seconds - (time.monotonic() - self._stopped_at), 0.0)

    def alive(self, max_age_seconds: float) -> bool:
        """True while every receive loop made progress (a receive or a wait for slots) recently."""
        now = time.monotonic()
        loops = self._loop_alive_at.values()
        return bool(loops) and all(now - seen <= max_age_seconds for seen in loops)

    async def run(self) -> None:
        """Receive until :meth:`stop`, then drain within the deadline."""
        deleter_task = asyncio.create_task(self._deleter.run(), name="deleter")
        leases_task = asyncio.create_task(self._leases.run(), name="leases")
        loops = [
            asyncio.create_task(self._receive_loop(index), name=f"receive-{index}")
            for index in range(self._settings.poll_loops)
        ]
        await self._stopping.wait()
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        await self._drain()
        for task in (leases_task, deleter_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _drain(self) -> None:
        tasks = [entry.task for entry in self._in_flight.values() if entry.task is not None]
        self._log.info("draining", in_flight=len(tasks), deadline_seconds=self._settings.drain_seconds)
        if tasks:
            await asyncio.wait(tasks, timeout=self._settings.drain_seconds)
        unfinished = [entry for entry in self._in_flight.values() if not entry.settling]
        for entry in unfinished:
            if entry.task is not None:
                entry.task.cancel()
        remaining = [entry.task for entry in self._in_flight.values() if entry.task is not None]
        if remaining:
            await asyncio.wait(remaining)
        if unfinished:
            await self._queue.release_now([entry.message for entry in unfinished])
            self._log.info("released unfinished messages", count=len(unfinished))

    async def _receive_loop(self, index: int) -> None:
        failures = 0
        while not self._stopping.is_set():
            reservation = await self._reserve(index)
            try:
                messages = await self._queue.receive(
                    reservation.messages, self._settings.wait_time_seconds, self._settings.visibility_timeout_seconds
                )
            except asyncio.CancelledError:
                self._slots.received(reservation, 0)
                raise
            except Exception as error:
                self._slots.received(reservation, 0)
                failures += 1
                self._middleware.after_queue_error("ReceiveMessage", error)
                pause = min(_ERROR_BACKOFF_MAX_SECONDS, 0.5 * 2 ** min(failures, 6))
                self._log.warning("receive failed", loop=index, error=str(error), retry_in_seconds=pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            now = time.monotonic()
            self._middleware.after_receive(messages)
            self._loop_alive_at[index] = now
            with_slot = self._slots.received(reservation, len(messages))
            assessments = [self._pipeline.assess(message.body) for message in messages]
            self._pipeline.look_ahead(assessments)
            for position, (message, assessment) in enumerate(zip(messages, assessments, strict=True)):
                self._start(_InFlight(message, assessment, has_slot=position < with_slot))

    async def _reserve(self, index: int) -> Reservation:
        def waited() -> None:
            self._loop_alive_at[index] = time.monotonic()

        reservation = await self._slots.reserve(MAX_BATCH, self._middleware.hold_receives, waited)
        self._loop_alive_at.setdefault(index, time.monotonic())
        return reservation

    def _start(self, entry: _InFlight) -> None:
        self._in_flight[entry.key] = entry
        entry.task = asyncio.create_task(self._process(entry), name=f"message-{entry.message.message_id}")

    async def _process(self, entry: _InFlight) -> None:
        lease = self._slots.lease(held=entry.has_slot)

        def settling() -> None:
            entry.mark_settling()
            self._slots.release(lease)

        try:
            await self._worker.handle(entry.message, entry.assessment, settling)
        except asyncio.CancelledError:
            pass
        finally:
            self._in_flight.pop(entry.key, None)
            self._slots.release(lease)
