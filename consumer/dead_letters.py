"""Reading the dead-letter queue without consuming it, for ``wsbridge dlq``.

Messages are received with a hold (a visibility timeout long enough to walk the queue, so each is seen
once) and made visible again at once when the walk ends, whatever happens in between: a crash leaves
them to reappear after the hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from wsbridge.consumer.envelope import Event, MalformedMessage, parse_body
from wsbridge.consumer.sqs import MAX_BATCH, REASON_ATTRIBUTE, SOURCE_ATTRIBUTE, visibility_batches

HOLD_SECONDS = 120
_QUEUE_MAX_BYTES = 1_048_576
_ATTRIBUTE_ROOM = 2048
RECEIVE_LIMIT_REASON = "receive limit: SQS moved it after maxReceiveCount receives (no wsbridge reason attribute)"
SIZE_LIMIT_REASON = (
    "unknown: dead-lettered at the size limit without attributes; the daemon's canonical log line "
    "for this event id has the reason"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message in the dead-letter queue."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]
    receive_count: int
    sent_at: str | None

    @classmethod
    def from_response(cls, raw: dict[str, Any]) -> DeadLetter:
        """Build from one entry of ReceiveMessage's ``Messages``; our own receive is not counted."""
        system = raw.get("Attributes", {})
        sent = system.get("SentTimestamp")
        return cls(
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=raw.get("Body", ""),
            attributes={
                name: str(value.get("StringValue", "")) for name, value in raw.get("MessageAttributes", {}).items()
            },
            receive_count=max(int(system.get("ApproximateReceiveCount", "1")) - 1, 0),
            sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat() if sent else None,
        )

    @property
    def event(self) -> Event | None:
        """The body as an event, ``None`` when it does not parse."""
        try:
            return parse_body(self.body)
        except MalformedMessage:
            return None

    @property
    def reason(self) -> str:
        """The ``wsbridge-reason`` attribute; without one, why there is none."""
        if REASON_ATTRIBUTE in self.attributes:
            return self.attributes[REASON_ATTRIBUTE]
        if len(self.body.encode()) > _QUEUE_MAX_BYTES - _ATTRIBUTE_ROOM:
            return SIZE_LIMIT_REASON
        return RECEIVE_LIMIT_REASON

    def as_json(self) -> dict[str, Any]:
        """The ``wsbridge dlq list`` line."""
        event = self.event
        return {
            "message_id": self.message_id,
            "reason": self.reason,
            "detail_type": event.detail_type if event else None,
            "source": event.source if event else None,
            "event_id": event.id if event else None,
            "receive_count": self.receive_count,
            "sent_at": self.sent_at,
            "source_message_id": self.attributes.get(SOURCE_ATTRIBUTE),
        }


class DeadLetterQueue:
    """The dead-letter queue, read with holds."""

    def __init__(self, sqs: Any, url: str) -> None:
        """``sqs`` is an aiobotocore SQS client."""
        self._sqs = sqs
        self.url = url
        self._deleted: set[str] = set()
        self._log = structlog.get_logger("wsbridge.dlq")

    @asynccontextmanager
    async def held(self, limit: int | None = None) -> AsyncIterator[list[DeadLetter]]:
        """Every message (up to ``limit``), held while the block runs; those not deleted are released."""
        held: dict[str, DeadLetter] = {}
        try:
            while limit is None or len(held) < limit:
                wanted = MAX_BATCH if limit is None else min(MAX_BATCH, limit - len(held))
                response = await self._sqs.receive_message(
                    QueueUrl=self.url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=1,
                    VisibilityTimeout=HOLD_SECONDS,
                    MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                    MessageAttributeNames=["All"],
                )
                fresh = [DeadLetter.from_response(raw) for raw in response.get("Messages", [])]
                fresh = [message for message in fresh if message.message_id not in held]
                if not fresh:
                    break
                held.update((message.message_id, message) for message in fresh)
            yield list(held.values())
        finally:
            await self._release([message for message in held.values() if message.message_id not in self._deleted])
            self._deleted.clear()

    async def delete(self, message: DeadLetter) -> None:
        """Delete a held message (after it was copied elsewhere)."""
        await self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)
        self._deleted.add(message.message_id)

    async def _release(self, messages: Sequence[DeadLetter]) -> None:
        for chunk, entries in visibility_batches(messages, 0):
            response = await self._sqs.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)
            for failure in response.get("Failed", []):
                self._log.warning(
                    "could not release message", message_id=chunk[int(failure["Id"])].message_id, code=failure["Code"]
                )
