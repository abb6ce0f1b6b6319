"""Which failures are worth a retry and which send the message to the dead-letter queue."""

from __future__ import annotations

_CONFIGURATION_STATUSES = frozenset({401, 403})


class PermanentError(Exception):
    """Retrying cannot help (e.g. the WS API rejected the request as invalid): dead-letter the message."""


class TransientError(Exception):
    """Worth retrying later with backoff (throttling, outages, timeouts)."""


def classify(error: Exception) -> tuple[str, str]:
    """Return (``"retry"`` | ``"dead_letter"``, one-line reason) for an exception raised while processing.

    Permanent errors and non-retryable API answers about the request itself (400, 404, 409, 422)
    dead-letter the message. Authentication failures are a problem of configuration, not of the
    message, so they retry (and show on the metrics) instead of emptying the queue into the DLQ.
    Anything else, including timeouts and unexpected exceptions, is retried with backoff until the
    queue's maxReceiveCount moves it to the DLQ.
    """
    reason = f"{type(error).__name__}: {error}".replace("\n", " ")
    if isinstance(error, PermanentError):
        return "dead_letter", reason
    retryable = getattr(error, "retryable", None)
    status = getattr(error, "status", None)
    if retryable is False and status not in _CONFIGURATION_STATUSES:
        return "dead_letter", reason
    if isinstance(error, TimeoutError):
        return "retry", "timed out"
    return "retry", reason
