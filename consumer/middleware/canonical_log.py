"""The canonical log line: one ``message`` line per settled message, with everything worth knowing about it."""

from __future__ import annotations

import structlog

from wsbridge.consumer.middleware.base import Middleware, Processed
from wsbridge.consumer.settlement import OutcomeKind

_NOT_SETTLED_LEVELS = frozenset({OutcomeKind.RETRY, OutcomeKind.DEAD_LETTER})


class CanonicalLogLine(Middleware):
    """Writes the ``message`` line: info when the message is done, warning when it retries or dead-letters."""

    def __init__(self) -> None:
        self._log = structlog.get_logger("wsbridge.worker")

    def after_process(self, processed: Processed) -> None:
        """Write the line for one settled message."""
        message, outcome = processed.message, processed.outcome
        assessment = outcome.assessment
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
            retry_in_seconds=processed.retry_in_seconds,
            duration_ms=round(processed.duration_seconds * 1000, 1),
            targets={key: value for key, value in assessment.triage.targets.as_json().items() if value},
            actions=[executed.as_json() for executed in outcome.actions],
        )
