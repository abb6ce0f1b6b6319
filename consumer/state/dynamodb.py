"""The shared store: one DynamoDB item per key, written with conditional writes.

Item: ``pk`` (the key), ``state`` (``in_progress`` | ``done``), ``expires_at_ms`` (when the claim or
the done mark lapses, read by every claim), ``expires_at`` (the same in epoch seconds, the table's
TTL attribute, so DynamoDB deletes lapsed items in the background) and ``owner`` (the process that
claimed it, so a release never removes a claim another replica took over).

A claim is one conditional ``PutItem`` (plus a ``GetItem`` only when it fails and DynamoDB did not
return the item held); done marks are unconditional, so the ones written at about the same time
share a ``BatchWriteItem`` (:mod:`wsbridge.consumer.state.batched_writes`); a release is one
conditional ``DeleteItem``.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.consumer.state.batched_writes import GroupedWriter
from wsbridge.consumer.state.store import Claim, DedupeStore, StateStoreError

TTL_ATTRIBUTE = "expires_at"
"""The attribute DynamoDB's time to live reads (epoch seconds)."""

_CONDITION_FAILED = "ConditionalCheckFailedException"


def now_ms() -> int:
    """Wall-clock milliseconds: the clock every replica shares."""
    return int(time.time() * 1000)


class DynamoDbStore(DedupeStore):
    """A store shared by every replica that names the same table."""

    def __init__(self, client: Any, table: str) -> None:
        """``client`` is an aiobotocore DynamoDB client."""
        self._client = client
        self._table = table
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._done_marks = GroupedWriter(self._batch_write)

    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        """See :meth:`DedupeStore.claim`; a lapsed claim or done mark is taken over."""
        now = now_ms()
        try:
            answer = await self._call(
                "put_item",
                Item=self._item(key, Claim.IN_PROGRESS, now, ttl_seconds),
                ConditionExpression="attribute_not_exists(pk) OR expires_at_ms <= :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnValues="ALL_OLD",
            )
        except ClientError as failed:
            held: dict[str, Any] | None = failed.response.get("Item") or await self._read(key)  # type: ignore[assignment]
            return Claim(held["state"]["S"]) if held else Claim.IN_PROGRESS
        lapsed = (answer or {}).get("Attributes") or {}
        return Claim.TAKEN_OVER if lapsed.get("state", {}).get("S") == Claim.IN_PROGRESS.value else Claim.NEW

    async def complete(self, key: str, ttl_seconds: float) -> None:
        """See :meth:`DedupeStore.complete`; returns once the mark is written, in a batch with the
        marks other workers wrote meanwhile."""
        if ttl_seconds <= 0:
            await self._done_marks.delete(key, {"pk": {"S": key}})
            return
        await self._done_marks.put(key, self._item(key, Claim.DONE, now_ms(), ttl_seconds))

    async def release(self, key: str) -> None:
        """See :meth:`DedupeStore.release`; only this process's own claim is removed."""
        with contextlib.suppress(ClientError):  # taken over by another replica, or already done
            await self._call(
                "delete_item",
                Key={"pk": {"S": key}},
                ConditionExpression="#owner = :owner AND #state = :claimed",
                ExpressionAttributeNames={"#owner": "owner", "#state": "state"},
                ExpressionAttributeValues={":owner": {"S": self.owner}, ":claimed": {"S": Claim.IN_PROGRESS.value}},
            )

    async def _read(self, key: str) -> dict[str, Any] | None:
        answer = await self._call("get_item", Key={"pk": {"S": key}}, ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        if item is None or int(item["expires_at_ms"]["N"]) <= now_ms():
            return None
        return item

    def _item(self, key: str, state: Claim, now: int, ttl_seconds: float) -> dict[str, Any]:
        expires = now + math.ceil(ttl_seconds * 1000)
        return {
            "pk": {"S": key},
            "state": {"S": state.value},
            "expires_at_ms": {"N": str(expires)},
            TTL_ATTRIBUTE: {"N": str(math.ceil(expires / 1000))},
            "owner": {"S": self.owner},
        }

    async def _batch_write(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            answer = await self._client.batch_write_item(RequestItems={self._table: requests})
        except (ClientError, BotoCoreError) as error:
            raise StateStoreError(f"state table {self._table}: {error}") from error
        unprocessed: list[dict[str, Any]] = answer.get("UnprocessedItems", {}).get(self._table, [])
        return unprocessed

    async def _call(self, operation: str, **arguments: Any) -> Any:
        """The answer; a failed condition is raised as is, every other failure as :class:`StateStoreError`."""
        try:
            return await getattr(self._client, operation)(TableName=self._table, **arguments)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == _CONDITION_FAILED:
                raise
            raise StateStoreError(f"state table {self._table}: {error}") from error
        except BotoCoreError as error:
            raise StateStoreError(f"state table {self._table}: {error}") from error
