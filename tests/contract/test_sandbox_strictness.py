"""The sandbox refuses, like the manager, what Trend's API definition does not allow."""

from __future__ import annotations

from typing import Any

import pytest

TASK = {
    "name": "strict",
    "type": "scan-for-integrity-changes",
    "runNow": True,
    "scheduleDetails": {"recurrenceType": "none", "recurrenceCount": 1, "onceOnlyScheduleParameters": {"startTime": 0}},
    "scanForIntegrityChangesTaskParameters": {"computerFilter": {"type": "computer", "computerID": 1}},
}
SEARCH = {"maxItems": 5, "searchCriteria": [{"fieldName": "hostName", "stringValue": "demo%"}]}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    copy: dict[str, Any] = {key: dict(item) if isinstance(item, dict) else item for key, item in base.items()}
    *parents, last = path.split(".")
    target = copy
    for part in parents:
        target = target[part]
    target[last] = value
    return copy


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "message"),
    [
        ("POST", "/scheduledtasks", changed(TASK, "scheduleDetails.recurrenceType", "once"), None, "recurrenceType"),
        (
            "POST",
            "/scheduledtasks",
            changed(TASK, "scanForIntegrityChangesTaskParameters.timeout", "forever"),
            None,
            "timeout",
        ),
        ("POST", "/scheduledtasks", changed(TASK, "priority", "high"), None, "Unrecognized field priority"),
        ("POST", "/computers/search", SEARCH, {"expand": "bogus"}, "Invalid expand value: bogus"),
        ("GET", "/computers/1", None, {"overrides": "yes"}, "overrides must be true or false"),
        ("POST", "/computers/search", changed(SEARCH, "maxItems", 100_000), None, "maxItems"),
        (
            "POST",
            "/computers/search",
            {"searchCriteria": [{"fieldName": "ec2VirtualMachineSummary/instanceId", "stringValue": "i-1"}]},
            None,
            "has no field ec2VirtualMachineSummary/instanceId",
        ),
        ("POST", "/policies/2/intrusionprevention/assignments", {"ruleIDs": ["2874"]}, None, "must be of type int"),
    ],
)
async def test_refused_with_the_managers_error_shape(
    sandbox: Any, method: str, path: str, body: Any, params: Any, message: str
) -> None:
    status, answer, _ = await sandbox.api(method, path, body, params=params)
    assert status == 400 and set(answer) == {"message"} and message in answer["message"], answer
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_run_once_tasks_are_deleted_after_they_ran_and_others_stay(sandbox: Any) -> None:
    assert (await sandbox.api("POST", "/scheduledtasks", TASK))[0] == 200
    kept = changed(TASK, "scheduleDetails.recurrenceCount", 0) | {"name": "kept"}
    assert (await sandbox.api("POST", "/scheduledtasks", kept))[0] == 200
    assert [task["name"] for task in (await sandbox.state())["scheduledTasks"]] == ["kept"]
    assert (await sandbox.computer(1))["_sandbox"]["scans"] == {"scan-for-integrity-changes": 2}


async def test_a_slow_run_once_task_stays_until_its_scan_ends(sandbox: Any) -> None:
    await sandbox.faults(scan_delay_ms=200)
    assert (await sandbox.api("POST", "/scheduledtasks", TASK))[0] == 200
    assert [task["name"] for task in (await sandbox.state())["scheduledTasks"]] == ["strict"]
    while (await sandbox.state())["scheduledTasks"]:
        await sandbox.api("GET", "/scheduledtasks")
    assert (await sandbox.computer(1))["integrityMonitoring"]["lastIntegrityScan"] > 0
