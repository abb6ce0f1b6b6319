"""The WS rate budget of a whole fleet: replicas lease call tokens in small blocks from the state table.

Time is cut into slots of ``slot_seconds``; each slot has one item (``pk`` ``ws-budget:<slot>``) whose
``used`` count every replica raises with a conditional ``ADD``. A slot grants
``limit * slot / (window + slot)`` calls, so that the at most ``window / slot + 1`` slots any window
of the manager (60 s) touches hold no more than ``limit`` calls together. Tokens are spent only within the
slot they were leased for. When the table cannot be reached, calls go ahead (each replica's own limit
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

SLOT_SECONDS = 10.0


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

        Slots are at most a tenth of the window."""
        self._client = client
        self._table = table
        slot_seconds = min(slot_seconds, window_seconds / 10)
        self._slot_seconds = slot_seconds
        self.per_slot = max(1, math.floor(limit_per_minute * slot_seconds / (window_seconds + slot_seconds)))
        self.block = max(1, min(10, self.per_slot // 8))
        self._clock = clock
        self._lock = asyncio.Lock()
        self._slot = -1
        self._tokens = 0

    async def acquire(self) -> None:
        """Wait until the fleet's budget has room for one more call in the current slot, and take it."""
        async with self._lock:
            while True:
                slot = int(self._clock() // self._slot_seconds)
                if slot != self._slot:
                    self._slot, self._tokens = slot, 0
                if self._tokens == 0:
                    self._tokens = await self._lease(slot)
                if self._tokens > 0:
                    self._tokens -= 1
                    return
                await asyncio.sleep((slot + 1) * self._slot_seconds - self._clock())

    async def _lease(self, slot: int) -> int:
        """Tokens granted from ``slot``: a block, else the last single one, else none."""
        for size in dict.fromkeys((self.block, 1)):
            try:
                await self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": f"ws-budget:{slot}"}},
                    UpdateExpression="ADD used :n SET #ttl = :ttl",
                    ConditionExpression="attribute_not_exists(used) OR used <= :most",
                    ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":n": {"N": str(size)},
                        ":most": {"N": str(self.per_slot - size)},
                        ":ttl": {"N": str(math.ceil((slot + 2) * self._slot_seconds) + 60)},
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
