"""The fleet's WS rate budget on the state table (moto, over HTTP): replicas together stay under it."""

from __future__ import annotations

import asyncio
import time

import boto3
from aiobotocore.session import get_session

from wsbridge.consumer.state.budget import FleetRateBudget

LIMIT_PER_MINUTE = 600
SLOT_SECONDS = 2.0


async def test_replicas_leasing_from_one_table_never_exceed_the_slot_quota_together(table: str) -> None:
    session = get_session()
    taken: list[float] = []
    async with (
        session.create_client("dynamodb") as first,  # type: ignore[call-overload]
        session.create_client("dynamodb") as second,  # type: ignore[call-overload]
        session.create_client("dynamodb") as third,  # type: ignore[call-overload]
    ):
        budgets = [
            FleetRateBudget(c, table, LIMIT_PER_MINUTE, slot_seconds=SLOT_SECONDS) for c in (first, second, third)
        ]
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
