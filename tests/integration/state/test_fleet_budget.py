"""The fleet's WS rate budget on the state table (moto, over HTTP): replicas together stay under it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import boto3

from wsbridge.consumer.state.budget import FleetRateBudget

LIMIT_PER_MINUTE = 600
SLOT_SECONDS = 2.0


async def test_replicas_leasing_from_one_table_never_exceed_the_slot_quota_together(table: str, dynamodb: Any) -> None:
    taken: list[float] = []
    budgets = [FleetRateBudget(dynamodb, table, LIMIT_PER_MINUTE, slot_seconds=SLOT_SECONDS) for _ in range(3)]
    deadline = time.time() + 3 * SLOT_SECONDS

    async def worker(budget: FleetRateBudget) -> None:
        while time.time() < deadline:
            await budget.acquire()
            taken.append(time.time())

    await asyncio.gather(*(worker(budget) for budget in budgets for _ in range(4)))
    items = boto3.client("dynamodb").scan(TableName=table)["Items"]
    leased = {item["pk"]["S"]: int(item["used"]["N"]) for item in items if item["pk"]["S"].startswith("ws-budget:")}
    quota = budgets[0].per_slot
    assert quota == 19
    assert max(leased.values()) <= quota, leased
    assert 2 * quota <= len(taken) <= sum(leased.values()), (len(taken), leased)
