"""Lost answers after the manager acted never start a scan twice (run-once tasks auto-deleted, as on a manager)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from wsbridge.consumer.workload_security import WorkloadSecurityClient

MakeClient = Callable[..., WorkloadSecurityClient]
SCANNED = (1, 2, 3)


async def every_scan(client: WorkloadSecurityClient, computer_id: int) -> None:
    await client.run_integrity_scan(computer_id)
    await client.run_malware_scan(computer_id)
    await client.run_recommendation_scan(computer_id, apply=False)


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 6])
async def test_exactly_one_scan_per_computer_when_answers_get_lost(
    sandbox: Any, make_client: MakeClient, seed: int
) -> None:
    for dice in range(seed, seed + 100, 10):
        await sandbox.reset()
        await sandbox.faults(error_rate=0.4, random_seed=dice, error_status=503, error_after_processing=True)
        client = make_client(max_attempts=20, breaker_failures=1000)
        await asyncio.gather(*(every_scan(client, computer_id) for computer_id in SCANNED))
        await client.flush_task_cleanup(5.0)
        calls = await sandbox.calls()
        lost_creates = [c for c in calls if c["path"] == "/api/scheduledtasks" and c["status"] == 503]
        if lost_creates:
            break
    assert lost_creates, "some creates took effect but their answers were lost"
    for computer_id in SCANNED:
        assert (await sandbox.computer(computer_id))["_sandbox"]["scans"] == {
            "scan-for-integrity-changes": 1,
            "scan-for-malware": 1,
            "scan-for-recommendations": 1,
        }, computer_id
    assert (await sandbox.state())["scheduledTasks"] == []


def created_scans(calls: list[dict[str, Any]]) -> int:
    return sum(1 for c in calls if c["method"] == "POST" and c["path"] == "/api/scheduledtasks" and c["status"] == 200)


@pytest.mark.parametrize("task_auto_delete", [True, False])
async def test_a_recommendation_scan_that_outlives_the_wait_is_resumed_not_started_again(
    sandbox: Any, make_client: MakeClient, task_auto_delete: bool
) -> None:
    from wsbridge.consumer.workload_security import ScanTimeoutError

    await sandbox.faults(scan_delay_ms=1500, task_auto_delete=task_auto_delete)
    client = make_client(scan_wait_seconds=0.3, scan_poll_seconds=0.1)
    for _ in range(2):
        with pytest.raises(ScanTimeoutError):
            await client.run_recommendation_scan(4, apply=True)
    other_replica = make_client(scan_wait_seconds=0.3, scan_poll_seconds=0.1)
    resumed = client if task_auto_delete else other_replica

    for _ in range(200):
        try:
            await resumed.run_recommendation_scan(4, apply=True)
            break
        except ScanTimeoutError:
            continue

    assert created_scans(await sandbox.calls()) == 1
    computer = await sandbox.computer(4)
    assert computer["_sandbox"]["scans"] == {"scan-for-recommendations": 1}
    assert set(computer["_sandbox"]["recommendedRuleIDs"]) <= set(computer["_sandbox"]["effectiveRuleIDs"])
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_a_returning_message_applies_results_that_arrived_meanwhile(
    sandbox: Any, make_client: MakeClient
) -> None:
    from wsbridge.consumer.workload_security import ScanTimeoutError

    await sandbox.faults(scan_delay_ms=500)
    client = make_client(scan_wait_seconds=0.1, scan_poll_seconds=0.05)
    with pytest.raises(ScanTimeoutError):
        await client.run_recommendation_scan(4, apply=True)

    for _ in range(300):
        if (await sandbox.computer(4))["_sandbox"]["recommendationScanStatus"] == "valid":
            break
        await asyncio.sleep(0.1)
    await client.run_recommendation_scan(4, apply=True)

    assert created_scans(await sandbox.calls()) == 1
    computer = await sandbox.computer(4)
    assert set(computer["_sandbox"]["recommendedRuleIDs"]) <= set(computer["_sandbox"]["effectiveRuleIDs"])
