"""Lost answers after the manager acted never start a scan twice (run-once tasks auto-deleted, as on a manager)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from wsbridge.consumer.workload_security import WorkloadSecurityClient

MakeClient = Callable[..., WorkloadSecurityClient]
SCANNED = (1, 2, 3)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_exactly_one_scan_per_computer_when_answers_get_lost(
    sandbox: Any, make_client: MakeClient, seed: int
) -> None:
    await sandbox.faults(error_rate=0.4, random_seed=seed, error_status=503, error_after_processing=True)
    client = make_client(max_attempts=20, breaker_failures=1000)

    async def scans(computer_id: int) -> None:
        await client.run_integrity_scan(computer_id)
        await client.run_malware_scan(computer_id)
        await client.run_recommendation_scan(computer_id, apply=False)

    await asyncio.gather(*(scans(computer_id) for computer_id in SCANNED))
    calls = await sandbox.calls()
    lost_creates = [c for c in calls if c["path"] == "/api/scheduledtasks" and c["status"] == 503]
    assert lost_creates, "some creates took effect but their answers were lost"
    for computer_id in SCANNED:
        assert (await sandbox.computer(computer_id))["_sandbox"]["scans"] == {
            "scan-for-integrity-changes": 1,
            "scan-for-malware": 1,
            "scan-for-recommendations": 1,
        }, computer_id
    assert (await sandbox.state())["scheduledTasks"] == []
