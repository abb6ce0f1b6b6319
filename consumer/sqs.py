"""The SQS calls of the poller: receive, lease extension, retry delay, dead-letter, batched delete."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog
from botocore.exceptions import ClientError

from wsbridge.consumer.settlement import dead_letter_reason

REASON_ATTRIBUTE = "wsbridge-reason"
SOURCE_ATTRIBUTE = "wsbridge-source-message-id"
MAX_BATCH = 10
"""The most messages one SQS call receives, deletes or changes."""

DELETE_LINGER_SECONDS = 0.05
"""How long a finished message's delete waits for others to share a DeleteMessageBatch call."""


class Held(Protocol):
    """A received message: what releasing it needs."""

    @property
    def message_id(self) -> str:
        """The message id."""

    @property
    def receipt_handle(self) -> str:
        """The handle of this receive."""


HeldT = TypeVar("HeldT", bound=Held)


def visibility_batches(
    messages: Sequence[HeldT], seconds: int
) -> Iterator[tuple[Sequence[HeldT], list[dict[str, Any]]]]:
    """``messages`` in ChangeMessageVisibilityBatch-sized chunks, each with its entries setting their
    visibility timeout to ``seconds``."""
    for start in range(0, len(messages), MAX_BATCH):
        chunk = messages[start : start + MAX_BATCH]
        yield (
            chunk,
            [
                {"Id": str(index), "ReceiptHandle": message.receipt_handle, "VisibilityTimeout": seconds}
                for index, message in enumerate(chunk)
            ],
        )


QueueErrorObserver = Callable[[str, Exception], None]
"""Called with the SQS operation and the error of each failed call (the middleware's ``after_queue_error``)."""


def _ignore(operation: str, error: Exception) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Message:
    """One received SQS message."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int

    @classmethod
    def from_response(cls, raw: dict[str, Any]) -> Message:
        """Build from one entry of ReceiveMessage's ``Messages``."""
        attributes = raw.get("Attributes", {})
        return cls(
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=raw.get("Body", ""),
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        )


class QueueClient:
    """Calls against the findings queue and its dead-letter queue."""

    def __init__(
        self,
        client: Any,
        queue_url: str,
        dlq_url: str | None,
        on_error: QueueErrorObserver = _ignore,
        max_receive_count: int | None = None,
    ) -> None:
        """``client`` is an aiobotocore SQS client; ``max_receive_count`` is the queue's RedrivePolicy's."""
        self._client = client
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.max_receive_count = max_receive_count
        self._on_error = on_error
        self._log = structlog.get_logger("wsbridge.sqs")

    async def receive(self, max_messages: int, wait_seconds: int, visibility_timeout: int) -> list[Message]:
        """Long-poll for up to ``max_messages`` (1..10)."""
        response = await self._client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=visibility_timeout,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [Message.from_response(raw) for raw in response.get("Messages", [])]

    async def change_visibility(self, message: Message, seconds: int) -> bool:
        """Set the message's visibility timeout; ``False`` when SQS refused (lease lost)."""
        try:
            await self._client.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=seconds
            )
        except ClientError as error:
            self._on_error("ChangeMessageVisibility", error)
            self._log.warning("visibility change refused", message_id=message.message_id, error=str(error))
            return False
        return True

    async def extend(self, messages: Sequence[Message], seconds: int) -> list[Message]:
        """Set the visibility timeout of ``messages`` to ``seconds``, ten per call; the messages whose
        lease SQS extended (a refusal is logged: the lease was lost)."""
        return await self._set_visibility(messages, seconds, "extend leases")

    async def release_now(self, messages: Sequence[Message]) -> None:
        """Make messages visible again at once (shutdown)."""
        await self._set_visibility(messages, 0, "release messages")

    async def _set_visibility(self, messages: Sequence[Message], seconds: int, purpose: str) -> list[Message]:
        changed: list[Message] = []
        for chunk, entries in visibility_batches(messages, seconds):
            try:
                response = await self._client.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as error:
                self._on_error("ChangeMessageVisibilityBatch", error)
                self._log.warning(f"could not {purpose}", count=len(chunk), error=str(error))
                continue
            refused = {int(failure["Id"]): failure for failure in response.get("Failed", [])}
            for index, message in enumerate(chunk):
                if index in refused:
                    self._log.warning(
                        f"could not {purpose}: refused", message_id=message.message_id, code=refused[index].get("Code")
                    )
                else:
                    changed.append(message)
        return changed

    async def dead_letter(self, message: Message, reason: str) -> None:
        """Copy the message to the DLQ with the reason as a message attribute."""
        if not self.dlq_url:
            raise RuntimeError("no dead-letter queue is configured")
        attributes = {
            REASON_ATTRIBUTE: {"DataType": "String", "StringValue": dead_letter_reason(reason)},
            SOURCE_ATTRIBUTE: {"DataType": "String", "StringValue": message.message_id},
        }
        try:
            await self._client.send_message(
                QueueUrl=self.dlq_url, MessageBody=message.body, MessageAttributes=attributes
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"InvalidParameterValue", "MessageTooLong"}:
                raise
            self._log.warning(
                "dead-lettering without attributes: the body leaves no room for them",
                message_id=message.message_id,
                reason=reason,
            )
            await self._client.send_message(QueueUrl=self.dlq_url, MessageBody=message.body)


class BatchDeleter:
    """Collects deletes for up to ``linger_seconds`` (or until ten wait) and sends them as
    DeleteMessageBatch calls, several at once."""

    def __init__(
        self,
        client: Any,
        queue_url: str,
        linger_seconds: float = DELETE_LINGER_SECONDS,
        on_error: QueueErrorObserver = _ignore,
        max_batches_in_flight: int = 8,
    ) -> None:
        """Start :meth:`run` as a task before calling :meth:`delete`; at most ``max_batches_in_flight``
        DeleteMessageBatch calls are sent at the same time."""
        self._client = client
        self._queue_url = queue_url
        self._linger = linger_seconds
        self._on_error = on_error
        self._pending: list[tuple[Message, asyncio.Future[bool]]] = []
        self._ready = asyncio.Event()
        self._in_flight = asyncio.Semaphore(max_batches_in_flight)
        self._sending: set[asyncio.Task[None]] = set()
        self._log = structlog.get_logger("wsbridge.sqs")

    async def delete(self, message: Message) -> bool:
        """Delete one message; ``False`` when SQS did not delete it (it will come back)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((message, future))
        if len(self._pending) in (1, MAX_BATCH):
            self._ready.set()
        return await future

    async def run(self) -> None:
        """Send batches until cancelled; a cancelled deleter sends what it holds and waits for what it sent."""
        batch: list[tuple[Message, asyncio.Future[bool]]] = []
        try:
            while True:
                await self._ready.wait()
                if len(self._pending) < MAX_BATCH and self._linger > 0:
                    self._ready.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._linger):
                            await self._ready.wait()
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                if not self._pending:
                    self._ready.clear()
                await self._in_flight.acquire()
                sending = asyncio.create_task(self._send_and_free(batch))
                batch = []
                self._sending.add(sending)
                sending.add_done_callback(self._sending.discard)
        except asyncio.CancelledError:
            batch.extend(self._pending)
            self._pending = []
            sends = [self._send(batch[start : start + MAX_BATCH]) for start in range(0, len(batch), MAX_BATCH)]
            await asyncio.gather(*self._sending, *sends)
            raise

    async def _send_and_free(self, batch: list[tuple[Message, asyncio.Future[bool]]]) -> None:
        try:
            await self._send(batch)
        finally:
            self._in_flight.release()

    async def _send(self, batch: list[tuple[Message, asyncio.Future[bool]]]) -> None:
        entries = [
            {"Id": str(index), "ReceiptHandle": message.receipt_handle} for index, (message, _) in enumerate(batch)
        ]
        try:
            response = await self._client.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        except Exception as error:
            self._on_error("DeleteMessageBatch", error)
            self._log.warning("delete batch failed", count=len(batch), error=str(error))
            response = {"Failed": [{"Id": entry["Id"], "Code": "RequestFailed"} for entry in entries]}
        failed = {item["Id"]: item for item in response.get("Failed", [])}
        for index, (message, future) in enumerate(batch):
            failure = failed.get(str(index))
            ok = failure is None or await self._delete_one(message, failure)
            if not future.done():
                future.set_result(ok)

    async def _delete_one(self, message: Message, failure: dict[str, Any]) -> bool:
        if failure.get("Code") == "ReceiptHandleIsInvalid":
            self._log.warning("delete refused: lease lost", message_id=message.message_id)
            return False
        try:
            await self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message.receipt_handle)
        except Exception as error:
            self._on_error("DeleteMessage", error)
            self._log.warning("delete failed", message_id=message.message_id, code=failure.get("Code"))
            return False
        return True
