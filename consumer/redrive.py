"""Moving dead letters back to the findings queue.

Everything (``--all``) goes through SQS's own message-move task where the endpoint serves it; chosen
messages, or an endpoint without move tasks, are copied: send to the findings queue, then delete from
the DLQ, in that order, so a crash in between duplicates a message rather than loses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from wsbridge.consumer.dead_letters import DeadLetterQueue

_UNSUPPORTED = frozenset({"UnsupportedOperation", "InvalidAction", "UnknownOperationException", "NotImplemented"})
_FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


@dataclass
class RedriveResult:
    """What a redrive did: ``moved`` messages, and the ids or reasons of what it could not move."""

    moved: int = 0
    would_move: int = 0
    method: str = "copy"
    problems: list[str] = field(default_factory=list)

    def as_json(self, *, dry_run: bool) -> dict[str, Any]:
        """The line ``wsbridge dlq redrive`` prints."""
        line: dict[str, Any] = {"moved": self.moved}
        if dry_run:
            line.update(dry_run=True, would_move=self.would_move)
        else:
            line["method"] = self.method
        if self.problems:
            line["problems"] = self.problems
        return line


class Redrive:
    """Redrives from ``dlq`` into the queue at ``queue_url``."""

    def __init__(self, sqs: Any, queue_url: str, dlq: DeadLetterQueue, *, task_timeout_seconds: float = 600) -> None:
        """``sqs`` is an aiobotocore SQS client."""
        self._sqs = sqs
        self._queue_url = queue_url
        self._dlq = dlq
        self._task_timeout = task_timeout_seconds

    async def everything(self, *, dry_run: bool) -> RedriveResult:
        """Move every message: a move task when the endpoint has one, otherwise by copying."""
        if dry_run:
            return await self.chosen(None, dry_run=True)
        try:
            return await self._move_task()
        except ClientError as error:
            if (
                _code(error) not in _UNSUPPORTED
                and error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 501
            ):
                raise
        return await self.chosen(None, dry_run=False)

    async def chosen(self, message_ids: Collection[str] | None, *, dry_run: bool) -> RedriveResult:
        """Copy the messages with these ids (all when ``None``) to the queue, then delete them from the DLQ."""
        result = RedriveResult()
        async with self._dlq.held() as held:
            selected = [m for m in held if message_ids is None or m.message_id in message_ids]
            found = {message.message_id for message in selected}
            result.problems += [
                f"{message_id}: not in the dead-letter queue"
                for message_id in message_ids or ()
                if message_id not in found
            ]
            result.would_move = len(selected)
            for message in [] if dry_run else selected:
                try:
                    await self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=message.body)
                    await self._dlq.delete(message)
                except ClientError as error:
                    result.problems.append(f"{message.message_id}: {_code(error)}")
                    continue
                result.moved += 1
        return result

    async def _move_task(self) -> RedriveResult:
        source, destination = await self._arn(self._dlq.url), await self._arn(self._queue_url)
        handle = (await self._sqs.start_message_move_task(SourceArn=source, DestinationArn=destination))["TaskHandle"]
        async with asyncio.timeout(self._task_timeout):
            while True:
                tasks = (await self._sqs.list_message_move_tasks(SourceArn=source, MaxResults=1)).get("Results", [])
                task = tasks[0] if tasks else {}
                if task.get("Status") in _FINISHED and task.get("TaskHandle", handle) == handle:
                    break
                await asyncio.sleep(0.5)
        result = RedriveResult(moved=int(task.get("ApproximateNumberOfMessagesMoved", 0)), method="move_task")
        if task["Status"] != "COMPLETED":
            result.problems.append(
                f"move task {task['Status'].lower()}: {task.get('FailureReason', 'no reason given')}"
            )
        return result

    async def _arn(self, url: str) -> str:
        answer = await self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(answer["Attributes"]["QueueArn"])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))
