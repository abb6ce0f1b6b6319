"""The fleet's WS rate budget on the state table (moto, over HTTP): replicas together stay under it,
and a burst gets all of it at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import boto3

from wsbridge.consumer.state.budget import FleetRateBudget

LIMIT = 40
WINDOW_SECONDS = 4.0


async def test_replicas_leasing_from_one_table_never_exceed_the_limit_in_any_window(table: str, dynamodb: Any) -> None:
    taken: list[float] = []
    budgets = [FleetRateBudget(dynamodb, table, LIMIT, window_seconds=WINDOW_SECONDS) for _ in range(3)]
    deadline = time.time() + 3 * WINDOW_SECONDS

    async def worker(budget: FleetRateBudget) -> None:
        while time.time() < deadline:
            await budget.acquire()
            taken.append(time.time())

    await asyncio.gather(*(worker(budget) for budget in budgets for _ in range(4)))
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    leased = {
        int(item["pk"]["S"].split(":")[1]): int(item["used"]["N"])
        for item in items
        if item["pk"]["S"].startswith("ws-budget:")
    }
    reach = budgets[0].reach
    assert reach == 41
    for slot in leased:
        in_reach = sum(leased.get(earlier, 0) for earlier in range(slot - reach, slot + 1))
        assert in_reach <= LIMIT, (slot, leased)
    first = min(leased)
    first_window = sum(used for slot, used in leased.items() if slot <= first + reach)
    assert first_window == LIMIT, f"the burst gets the whole budget of its window: {leased}"
    assert 2 * LIMIT <= len(taken) <= sum(leased.values()), (len(taken), leased)
