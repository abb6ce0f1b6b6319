"""Waiting for a recommendation scan's results: one poll loop per scan, however many messages wait."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from wsbridge.consumer.workload_security.scans import ScanRunner
from wsbridge.consumer.workload_security.transport import Transport


class ScanFinishingAfter:
    """Answers IPS assignment reads; the scan date moves on the ``polls``-th read."""

    def __init__(self, polls: int) -> None:
        self.finish_at = polls
        self.reads = 0
        self.read = asyncio.Event()

    async def request(self, operation: str, method: str, path: str, **options: Any) -> dict[str, Any]:
        self.reads += 1
        self.read.set()
        return {"lastRecommendationScanDate": 2 if self.reads >= self.finish_at else 1}


def runner(transport: ScanFinishingAfter) -> ScanRunner:
    return ScanRunner(cast(Transport, transport), wait_seconds=60, poll_seconds=0.001)


async def test_messages_waiting_for_the_same_scan_share_one_poll_loop() -> None:
    transport = ScanFinishingAfter(polls=3)
    scans = runner(transport)
    results = await asyncio.gather(*(scans.wait_for_recommendations(7, newer_than=1) for _ in range(5)))
    assert transport.reads == 3
    assert {result.last_recommendation_scan_date for result in results} == {2}


async def test_the_poll_loop_stops_when_the_last_waiter_stops_waiting() -> None:
    transport = ScanFinishingAfter(polls=10**9)
    scans = runner(transport)
    waiter = asyncio.ensure_future(scans.wait_for_recommendations(7, newer_than=1))
    await transport.read.wait()
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    await asyncio.sleep(0)
    stopped_at = transport.reads
    for _ in range(20):
        await asyncio.sleep(0.001)
    assert transport.reads == stopped_at
