"""How a message ends, and the path of one that fails: in one place.

A message's processing ends in an :class:`OutcomeKind`. Success, skipped and duplicate delete it.
A failure is classified by :func:`classify`: ``dead_letter`` copies it to the dead-letter queue with a
one-line reason (:func:`dead_letter_reason`) and deletes it; ``retry`` hands it back to SQS after
:func:`retry_delay` (or after the seconds a handler asked for with :class:`RetryLater`). On the
queue's last allowed receive (:func:`out_of_receives`, with :func:`redrive`'s maxReceiveCount) a
retry is dead-lettered with its reason instead, rather than left for SQS to move without one to the
DLQ that :func:`dead_letter_queue_url` finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from wsbridge.consumer.settings import Settings, StartupError

_CONFIGURATION_STATUSES = frozenset({401, 403})
_MAX_REASON_CHARS = 1000
_MAX_DELAY_SECONDS = 43200


class OutcomeKind(StrEnum):
    """How a message ends (the ``outcome`` label of wsbridge_messages_processed_total)."""

    SUCCESS = "success"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


class PermanentError(Exception):
    """Retrying cannot help (e.g. the WS API rejected the request as invalid): dead-letter the message."""


class TransientError(Exception):
    """Worth retrying later with backoff (throttling, outages, timeouts)."""


class RetryLater(TransientError):
    """Retry this message after ``seconds`` (0..43200) instead of the backoff for its receive count."""

    def __init__(self, seconds: int, reason: str = "") -> None:
        if not 0 <= seconds <= _MAX_DELAY_SECONDS:
            raise ValueError(f"a retry delay must be 0..{_MAX_DELAY_SECONDS} s, not {seconds}")
        super().__init__(reason or f"retry requested in {seconds} s")
        self.seconds = seconds


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


def requested_delay(error: Exception) -> int | None:
    """The delay a handler asked for by raising :class:`RetryLater`, else ``None``."""
    return error.seconds if isinstance(error, RetryLater) else None


def retry_delay(receive_count: int, base_seconds: int, max_seconds: int) -> int:
    """Visibility delay before the next attempt: base * 2^(receive_count - 1), capped."""
    exponent = min(max(receive_count - 1, 0), 30)
    return int(min(max_seconds, base_seconds * 2**exponent))


def settle_delay(
    requested: int | None, receive_count: int, settings: Settings, *, claim_lapses_in: int | None = None
) -> int:
    """The delay of a retried message, at most SQS's visibility cap: what its handler asked for; for a
    redelivered message whose event is claimed elsewhere, until that claim lapses; else the backoff for
    its receive count."""
    if requested is None and claim_lapses_in and receive_count > 1:
        requested = claim_lapses_in
    if requested is None:
        requested = retry_delay(receive_count, settings.retry_base_seconds, settings.retry_max_seconds)
    return min(requested, _MAX_DELAY_SECONDS)


def dead_letter_reason(reason: str) -> str:
    """The ``wsbridge-reason`` attribute of a dead-lettered message: bounded, never empty."""
    return reason[:_MAX_REASON_CHARS] or "-"


@dataclass(frozen=True, slots=True)
class Redrive:
    """Where the queue's dead letters go, and after how many receives SQS moves a message there."""

    dlq_url: str
    max_receive_count: int | None


async def redrive(settings: Settings, sqs: Any) -> Redrive:
    """The DLQ (WSBRIDGE_DLQ_URL, or the one the queue's RedrivePolicy names) and the policy's
    maxReceiveCount (``None`` when the queue has no policy that says), from one read of the queue."""
    try:
        response = await sqs.get_queue_attributes(QueueUrl=settings.queue_url, AttributeNames=["RedrivePolicy"])
    except Exception as error:
        if settings.dlq_url:
            return Redrive(settings.dlq_url, None)
        raise StartupError(f"cannot read the queue {settings.queue_url}: {error}") from None
    raw = response.get("Attributes", {}).get("RedrivePolicy")
    policy: dict[str, Any] = orjson.loads(raw) if raw else {}
    max_receives = int(policy["maxReceiveCount"]) if "maxReceiveCount" in policy else None
    if settings.dlq_url:
        return Redrive(settings.dlq_url, max_receives)
    if not policy:
        raise StartupError("the queue has no RedrivePolicy; set one or set WSBRIDGE_DLQ_URL")
    arn = str(policy["deadLetterTargetArn"])
    name, account = arn.split(":")[5], arn.split(":")[4]
    try:
        found = await sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
    except Exception as error:
        raise StartupError(f"cannot find the dead-letter queue {arn}: {error}") from None
    return Redrive(str(found["QueueUrl"]), max_receives)


async def dead_letter_queue_url(settings: Settings, sqs: Any) -> str:
    """WSBRIDGE_DLQ_URL, or the DLQ named by the queue's RedrivePolicy."""
    if settings.dlq_url:
        return settings.dlq_url
    return (await redrive(settings, sqs)).dlq_url


def out_of_receives(receive_count: int, max_receives: int | None) -> bool:
    """Whether this receive is the queue's last: a retry now would reach the DLQ without a reason."""
    return max_receives is not None and receive_count >= max_receives
