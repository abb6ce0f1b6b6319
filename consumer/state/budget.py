"""The WS rate budget of a whole fleet: replicas lease call tokens in small blocks from the state table.

Time is cut into slots of ``slot_seconds`` (a fortieth of the window); each slot has one item (``pk``
``ws-budget:<slot>``) whose ``used`` count every replica raises with a conditional ``ADD``. Any window
of the manager touches at most ``window / slot + 1`` slots, and one slot more covers a call reaching
the manager a little after its lease, so a slot grants what the ``reach`` slots before it left of
``limit``: a replica reads their counts once when its slot begins (one ``BatchGetItem``) and leases
against the rest. A burst can so spend the whole budget at once, as the
manager allows, and the fleet never passes it in any window. Tokens are spent only within the slot
they were leased for. When the table cannot be reached, calls go ahead (each replica's own limit
still applies) rather than stopping all work.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.consumer.state.dynamodb import TTL_ATTRIBUTE

log = structlog.get_logger(__name__)

SLOT_SECONDS = 1.5
SLOTS_PER_WINDOW = 40
"""Slots are at most a fortieth of the window: the margin of two slots costs 5 % of the budget."""


class FleetRateBudget:
    """``acquire`` once per WS call; shared by every worker of the process (admits in FIFO order)."""

    def __init__(
        self,
        client: Any,
        table: str,
        limit_per_minute: int,
        *,
        slot_seconds: float = SLOT_SECONDS,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``client`` is an aiobotocore DynamoDB client; ``limit_per_minute`` calls per ``window_seconds``.

        Slots are at most a fortieth of the window."""
        self._client = client
        self._table = table
        slot_seconds = min(slot_seconds, window_seconds / SLOTS_PER_WINDOW)
        self._slot_seconds = slot_seconds
        self.limit = limit_per_minute
        self.reach = math.ceil(window_seconds / slot_seconds) + 1
        """How many slots before a slot share a window of the manager with it."""
        self.block = max(1, min(10, limit_per_minute // 10))
        self._clock = clock
        self._lock = asyncio.Lock()
        self._slot = -1
        self._tokens = 0
        self._allowed = 0
        self._waiting = 0

    async def acquire(self) -> None:
        """Wait until the fleet's budget has room for one more call in the current slot, and take it."""
        self._waiting += 1
        try:
            await self._take()
        finally:
            self._waiting -= 1

    async def _take(self) -> None:
        async with self._lock:
            while True:
                slot = int(self._clock() // self._slot_seconds)
                if slot != self._slot:
                    self._slot, self._tokens = slot, 0
                    self._allowed = self.limit - await self._used_before(slot)
                if self._tokens == 0:
                    self._tokens = await self._lease(slot)
                if self._tokens > 0:
                    self._tokens -= 1
                    return
                await asyncio.sleep((slot + 1) * self._slot_seconds - self._clock())

    async def has_spare_room(self) -> bool:
        """Nobody in this process waits for a token and the fleet used less than half the limit in the
        slots a call sent now shares a window with: a call that can wait may go now."""
        if self._lock.locked():
            return False
        slot = int(self._clock() // self._slot_seconds)
        return 2 * await self._used(range(slot - self.reach, slot + 1)) < self.limit

    async def _used_before(self, slot: int) -> int:
        """Calls the fleet leased in the slots that share a window with ``slot`` (0 when unreadable)."""
        return await self._used(range(slot - self.reach, slot))

    async def _used(self, slots: range) -> int:
        keys = [{"pk": {"S": f"ws-budget:{slot}"}} for slot in slots]
        used = 0
        try:
            while keys:
                answer = await self._client.batch_get_item(
                    RequestItems={self._table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "used"}}
                )
                used += sum(int(item["used"]["N"]) for item in answer.get("Responses", {}).get(self._table, []))
                keys = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
        except (BotoCoreError, ClientError) as error:
            log.warning("ws_budget_unavailable", error=str(error))
        return used

    async def _lease(self, slot: int) -> int:
        """Tokens granted from ``slot``: a block (no more than there are callers waiting, so that few
        tokens lapse unused with the slot), else the last single one, else none."""
        if self._allowed <= 0:
            return 0
        for size in dict.fromkeys((min(self.block, self._allowed, self._waiting), 1)):
            try:
                await self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"ws-budget:{slot}"}},
                    UpdateExpression="ADD used :n SET #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(used) OR used <= :most",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":n": {"N": str(size)},
                        ":most": {"N": str(self._allowed - size)},
                        ":ttl": {"N": str(math.ceil((slot + self.reach + 2) * self._slot_seconds) + 60)},
                    },
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    continue
                log.warning("ws_budget_unavailable", error=str(error))
                return 1
            except BotoCoreError as error:
                log.warning("ws_budget_unavailable", error=str(error))
                return 1
            return size
        return 0
