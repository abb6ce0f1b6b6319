"""One message's life after receipt: lease heartbeat, hard timeout, then settle and record the outcome.

Settling is final: delete (success, skipped, duplicate), return with a delay that doubles per receive
(retry), or copy to the DLQ with the reason and delete (dead_letter). Every message ends in one
canonical log line and one ``wsbridge_messages_processed_total`` increment.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from wsbridge.consumer import metrics
from wsbridge.consumer.pipeline import Outcome, OutcomeKind, Pipeline
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.sqs import BatchDeleter, Message, QueueClient

_NOT_SETTLED_LEVELS = frozenset({OutcomeKind.RETRY, OutcomeKind.DEAD_LETTER})


def retry_delay(receive_count: int, base_seconds: int, max_seconds: int) -> int:
    """Visibility delay before the next attempt: base * 2^(receive_count - 1), capped."""
    exponent = min(max(receive_count - 1, 0), 30)
    return int(min(max_seconds, base_seconds * 2**exponent))


class MessageWorker:
    """Processes received messages through the pipeline and settles them on the queue."""

    def __init__(self, settings: Settings, queue: QueueClient, deleter: BatchDeleter, pipeline: Pipeline) -> None:
        """The queue client, deleter and pipeline are shared by every message."""
        self._settings = settings
        self._queue = queue
        self._deleter = deleter
        self._pipeline = pipeline
        self._log = structlog.get_logger("wsbridge.worker")

    async def handle(self, message: Message, on_settling: Callable[[], None]) -> None:
        """Process and settle one message; ``on_settling`` is called when cancelling would be unsafe."""
        started = time.monotonic()
        heartbeat = asyncio.create_task(self._heartbeat(message))
        assessment = self._pipeline.assess(message.body)
        try:
            try:
                async with asyncio.timeout(self._settings.handler_timeout_seconds):
                    outcome = await self._pipeline.process_assessed(assessment)
            except TimeoutError:
                reason = f"handler timed out after {self._settings.handler_timeout_seconds:g} s"
                outcome = Outcome(OutcomeKind.RETRY, reason, assessment)
        except asyncio.CancelledError:
            self.record(message, Outcome(OutcomeKind.RETRY, "released at shutdown", assessment), started, delay=0)
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        on_settling()
        delay = await self._settle(message, outcome)
        self.record(message, outcome, started, delay)

    async def _heartbeat(self, message: Message) -> None:
        interval = self._settings.heartbeat_interval_seconds
        while True:
            await asyncio.sleep(interval)
            if await self._queue.change_visibility(message, self._settings.visibility_timeout_seconds):
                metrics.VISIBILITY_EXTENSIONS.inc()

    async def _settle(self, message: Message, outcome: Outcome) -> int | None:
        delay: int | None = None
        try:
            if outcome.kind is OutcomeKind.DEAD_LETTER:
                await self._queue.dead_letter(message, outcome.reason)
            if outcome.kind is OutcomeKind.RETRY:
                settings = self._settings
                delay = retry_delay(message.receive_count, settings.retry_base_seconds, settings.retry_max_seconds)
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
        """Count the outcome and write the canonical log line."""
        assessment = outcome.assessment
        duration = time.monotonic() - started
        labels = (assessment.detail_type_label, assessment.handler_name)
        metrics.MESSAGES_PROCESSED.labels(*labels, outcome.kind.value).inc()
        metrics.HANDLER_DURATION.labels(*labels).observe(duration)
        log = self._log.warning if outcome.kind in _NOT_SETTLED_LEVELS else self._log.info
        log(
            "message",
            message_id=message.message_id,
            event_id=assessment.event.id if assessment.event else None,
            detail_type=assessment.detail_type,
            handler=assessment.handler_name,
            outcome=outcome.kind.value,
            reason=outcome.reason,
            receive_count=message.receive_count,
            retry_in_seconds=delay,
            duration_ms=round(duration * 1000, 1),
            targets={key: value for key, value in assessment.triage.targets.as_json().items() if value},
            actions=[executed.as_json() for executed in outcome.actions],
        )
