"""Prometheus metrics of the message lifecycle (the names and labels are a contract; see ``consumer/metrics.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wsbridge.consumer import metrics
from wsbridge.consumer.middleware.base import Middleware, Processed
from wsbridge.consumer.pipeline import UNKNOWN_LABEL

if TYPE_CHECKING:
    from wsbridge.consumer.executor import ExecutedAction
    from wsbridge.consumer.sqs import Message


class PrometheusMetrics(Middleware):
    """Counts receives, outcomes, durations, lease extensions, actions and SQS errors; shows the slots."""

    def __init__(self, worker_slots: int | None = None) -> None:
        """``worker_slots``: the daemon's concurrency, shown as ``wsbridge_worker_slots``."""
        self._worker_slots = worker_slots

    async def startup(self) -> None:
        """Show how many messages the daemon works on at once."""
        if self._worker_slots is not None:
            metrics.WORKER_SLOTS.set(self._worker_slots)

    def after_receive(self, messages: Sequence[Message]) -> None:
        """The poll loop is alive; count what it received."""
        metrics.LAST_POLL.set_to_current_time()
        metrics.MESSAGES_RECEIVED.inc(len(messages))

    def after_queue_error(self, operation: str, error: Exception) -> None:
        """Count the failed SQS call by operation."""
        metrics.SQS_ERRORS.labels(operation).inc()

    def before_process(self, message: Message) -> None:
        """One more message in flight."""
        metrics.MESSAGES_IN_FLIGHT.inc()

    def after_lease_extended(self, message: Message) -> None:
        """Count the heartbeat's extension."""
        metrics.VISIBILITY_EXTENSIONS.inc()

    def after_action(self, executed: ExecutedAction) -> None:
        """Count the action by kind and result."""
        metrics.labelled(metrics.ACTIONS, executed.action.kind, executed.result.value).inc()

    def after_process(self, processed: Processed) -> None:
        """Count the outcome and its duration; a refused source is counted too."""
        outcome = processed.outcome
        assessment = outcome.assessment
        labels = (assessment.detail_type_label, assessment.handler_name)
        metrics.MESSAGES_IN_FLIGHT.dec()
        if assessment.source_refused:
            registered = assessment.handler is not None
            metrics.REFUSED_SOURCES.labels(assessment.detail_type if registered else UNKNOWN_LABEL).inc()
        metrics.labelled(metrics.MESSAGES_PROCESSED, *labels, outcome.kind.value).inc()
        metrics.labelled(metrics.HANDLER_DURATION, *labels).observe(processed.duration_seconds)
