"""One message's life after receipt: its lease kept, hard timeout, then settle and hand the outcome on.

Settling is final: delete (success, skipped, duplicate), return with a delay (retry), or copy to the
DLQ with the reason and delete (dead_letter); :mod:`wsbridge.consumer.settlement` decides which and
when. Every message ends in one ``after_process`` call on the middleware (the canonical log line and
the metrics).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

import structlog

from wsbridge.consumer.leases import LeaseKeeper
from wsbridge.consumer.middleware import Middleware, Processed
from wsbridge.consumer.pipeline import Assessment, Outcome, OutcomeKind, Pipeline
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.settlement import classify, out_of_receives, settle_delay
from wsbridge.consumer.slots import take_slot
from wsbridge.consumer.sqs import BatchDeleter, Message, QueueClient


class MessageWorker:
    """Processes received messages through the pipeline and settles them on the queue."""

    def __init__(
        self,
        settings: Settings,
        queue: QueueClient,
        deleter: BatchDeleter,
        leases: LeaseKeeper,
        pipeline: Pipeline,
        middleware: Middleware | None = None,
    ) -> None:
        """The queue client, deleter, lease keeper, pipeline and middleware are shared by every message."""
        self._settings = settings
        self._queue = queue
        self._deleter = deleter
        self._leases = leases
        self._pipeline = pipeline
        self._middleware = middleware or Middleware()
        self._log = structlog.get_logger("wsbridge.worker")

    async def handle(self, message: Message, assessment: Assessment, on_settling: Callable[[], None]) -> None:
        """Process and settle one message, its body assessed on receipt; ``on_settling`` is called when
        cancelling would be unsafe."""
        started = time.monotonic()
        self._middleware.before_process(message)
        self._leases.keep(message)
        try:
            try:
                await take_slot()
                async with asyncio.timeout(self._settings.handler_timeout_seconds):
                    outcome = await self._pipeline.process_assessed(assessment, receive_count=message.receive_count)
            except TimeoutError:
                reason = f"handler timed out after {self._settings.handler_timeout_seconds:g} s"
                outcome = Outcome(OutcomeKind.RETRY, reason, assessment)
            except Exception as error:
                kind, reason = classify(error)
                outcome = Outcome(OutcomeKind(kind), reason, assessment)
        except asyncio.CancelledError:
            self.record(message, Outcome(OutcomeKind.RETRY, "released at shutdown", assessment), started, delay=0)
            raise
        finally:
            await self._leases.drop(message)
        on_settling()
        if outcome.kind is OutcomeKind.RETRY and out_of_receives(message.receive_count, self._queue.max_receive_count):
            last = f"receive {message.receive_count} of {self._queue.max_receive_count}, no retry left"
            outcome = dataclasses.replace(outcome, kind=OutcomeKind.DEAD_LETTER, reason=f"{outcome.reason} ({last})")
        delay = await self._settle(message, outcome)
        self.record(message, outcome, started, delay)

    async def _settle(self, message: Message, outcome: Outcome) -> int | None:
        delay: int | None = None
        try:
            if outcome.kind is OutcomeKind.DEAD_LETTER:
                await self._queue.dead_letter(message, outcome.reason)
            if outcome.kind is OutcomeKind.RETRY:
                delay = settle_delay(
                    outcome.retry_in_seconds,
                    message.receive_count,
                    self._settings,
                    claim_lapses_in=outcome.claim_lapses_in,
                )
                await self._queue.change_visibility(message, delay)
            else:
                await self._deleter.delete(message)
        except Exception as error:
            self._log.error(
                "could not settle message; it returns after its visibility timeout",
                message_id=message.message_id,
                outcome=outcome.kind.value,
                error=str(error),
            )
        return delay

    def record(self, message: Message, outcome: Outcome, started: float, delay: int | None) -> None:
        """Hand the settled outcome to the middleware (the canonical log line and the metrics)."""
        self._middleware.after_process(Processed(message, outcome, time.monotonic() - started, delay))
