"""Scan task deletes wait for spare rate budget; recommendation scans look for an earlier attempt's
task only when one may exist."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from structlog.testing import capture_logs

from wsbridge.consumer.workload_security import WorkloadSecurityClient
from wsbridge.consumer.workload_security.cleanup import CHECK_EVERY, TRUST_AFTER

MakeClient = Callable[..., WorkloadSecurityClient]
TASKS = "/api/scheduledtasks"


def task_calls(calls: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in calls if c["path"].startswith(TASKS)]


async def test_deletes_wait_while_the_budget_is_tight_and_the_flush_reports_what_is_left(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(task_auto_delete=False)
    client = make_client(rate_limit_per_minute=4, rate_limit_window_seconds=60.0)
    await asyncio.gather(*(client.run_integrity_scan(computer_id, last_scan=None) for computer_id in (1, 2, 3)))
    await asyncio.sleep(1.0)
    assert task_calls(await sandbox.calls()) == [("POST", TASKS)] * 3, "no delete while the window is 3/4 used"
    with capture_logs() as logs:
        await client.flush_task_cleanup(1.0)
    deletes = [c for c in await sandbox.calls() if c["method"] == "DELETE"]
    assert [c["status"] for c in deletes] == [204], "the flush sends what the budget allows"
    [left] = [line for line in logs if line["event"] == "ws_task_cleanup_left"]
    remaining = [task["ID"] for task in (await sandbox.state())["scheduledTasks"]]
    assert left["count"] == 2 and sorted(left["task_ids"]) == sorted(remaining)


async def test_deletes_go_once_the_budget_has_room(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(task_auto_delete=False)
    client = make_client()
    await asyncio.gather(*(client.run_malware_scan(computer_id, last_scan=None) for computer_id in (1, 2)))
    for _ in range(100):
        if not (await sandbox.state())["scheduledTasks"]:
            break
        await asyncio.sleep(0.05)
    assert (await sandbox.state())["scheduledTasks"] == []
    assert [c["status"] for c in await sandbox.calls() if c["method"] == "DELETE"] == [204, 204]


async def test_a_first_attempt_does_not_search_for_an_earlier_scan(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(resume_window_seconds=0.0)
    await client.run_recommendation_scan(2, resume=False)
    await client.run_recommendation_scan(3)
    searches = [c["body"] for c in await sandbox.calls() if c["path"] == f"{TASKS}/search"]
    assert len(searches) == 1 and "computer 3 after" in str(searches[0]), "only the resumed scan searched"
    for computer_id in (2, 3):
        assert (await sandbox.computer(computer_id))["_sandbox"]["scans"] == {"scan-for-recommendations": 1}


async def test_a_new_process_resumes_the_scans_an_earlier_one_kept_with_one_search(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(task_auto_delete=False, scan_delay_ms=300)
    earlier = make_client()
    for computer_id in (2, 4):
        await earlier._scans.start_recommendation(computer_id, None)
    later = make_client(resume_window_seconds=300.0)
    await asyncio.gather(*(later.run_recommendation_scan(computer_id, resume=False) for computer_id in (2, 3, 4)))
    await later.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert len([c for c in calls if c["path"] == f"{TASKS}/search"]) == 1
    for computer_id in (2, 3, 4):
        assert (await sandbox.computer(computer_id))["_sandbox"]["scans"] == {"scan-for-recommendations": 1}
    assert (await sandbox.state())["scheduledTasks"] == [], "the kept tasks removed after their results were applied"
    for computer_id in (2, 3, 4):
        _, answer, _ = await sandbox.api("GET", f"/computers/{computer_id}/intrusionprevention/assignments")
        assert answer["recommendedToAssignRuleIDs"] == [], f"computer {computer_id}'s recommendations applied"


async def integrity_scans(client: WorkloadSecurityClient, count: int) -> None:
    for _ in range(count):
        await client.run_integrity_scan(1, last_scan=None)
    await client.flush_task_cleanup(30.0)


def deletes(calls: list[dict[str, Any]]) -> list[int]:
    return [c["status"] for c in calls if c["method"] == "DELETE"]


async def test_tasks_the_manager_removes_itself_are_left_to_it_but_for_a_check_now_and_then(
    sandbox: Any, make_client: MakeClient
) -> None:
    client = make_client()
    await integrity_scans(client, TRUST_AFTER)
    assert deletes(await sandbox.calls()) == [404] * TRUST_AFTER
    await integrity_scans(client, 2 * CHECK_EVERY)
    assert deletes(await sandbox.calls()) == [404] * (TRUST_AFTER + 2), "one delete in CHECK_EVERY checks"
    assert (await sandbox.state())["scheduledTasks"] == [], "the manager removed every task"


async def test_a_task_found_by_a_check_makes_every_task_deleted_again(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    await integrity_scans(client, TRUST_AFTER)
    await sandbox.faults(task_auto_delete=False)
    await integrity_scans(client, CHECK_EVERY)
    await integrity_scans(client, 5)
    assert deletes(await sandbox.calls()) == [404] * TRUST_AFTER + [204] * 6
    left = (await sandbox.state())["scheduledTasks"]
    assert len(left) == CHECK_EVERY - 1 == client._scans.cleanup.left_to_manager, "left before the check found one"


async def test_a_manager_that_keeps_its_tasks_gets_every_one_deleted(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(task_auto_delete=False)
    client = make_client()
    await integrity_scans(client, TRUST_AFTER + CHECK_EVERY)
    assert deletes(await sandbox.calls()) == [204] * (TRUST_AFTER + CHECK_EVERY)
    assert (await sandbox.state())["scheduledTasks"] == []
