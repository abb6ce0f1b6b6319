"""Applying a recommendation scan's results: IPS only by default, or all three modules, and the
recommended un-assignments only when asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wsbridge.consumer.workload_security import WorkloadSecurityClient

MakeClient = Callable[..., WorkloadSecurityClient]
IPS, IM, LI = "intrusionPrevention", "integrityMonitoring", "logInspection"
TODAY = [
    "POST /api/scheduledtasks/search",
    "GET /api/computers/2/intrusionprevention/assignments",
    "POST /api/scheduledtasks",
    "GET /api/computers/2/intrusionprevention/assignments",
    "POST /api/computers/2/intrusionprevention/assignments",
    "DELETE /api/scheduledtasks/1",
]


def paths(calls: list[dict[str, Any]]) -> list[str]:
    return [f"{call['method']} {call['path']}" for call in calls]


async def with_an_ips_rule_to_unassign(sandbox: Any) -> None:
    """demo-web-2 also has IPS rule 3001 of its own, which its scan recommends un-assigning."""
    computers = (await sandbox.state())["computers"]
    for computer in computers:
        if computer["ID"] == 2:
            computer[IPS]["ruleIDs"] = [3001]
            computer["_sandbox"]["recommendations"][IPS]["unassign"] = [3001]
    await sandbox.admin("POST", "seed", {"computers": computers})


async def test_by_default_only_ips_recommendations_are_assigned(sandbox: Any, make_client: MakeClient) -> None:
    await with_an_ips_rule_to_unassign(sandbox)
    before = (await sandbox.computer(2))["_sandbox"]["assignedRuleIDs"]
    scanner = make_client()
    await scanner.run_recommendation_scan(2)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert paths(calls) == TODAY
    assert calls[4]["body"] == {"ruleIDs": [4211, 4305]}
    after = (await sandbox.computer(2))["_sandbox"]["assignedRuleIDs"]
    assert after[IM] == before[IM] == [7001, 7004] and after[LI] == before[LI] == [8001, 8003]
    assert 3001 in after[IPS], "recommended un-assignments stay assigned"


async def test_all_modules_assign_ips_integrity_and_log_inspection_recommendations(
    sandbox: Any, make_client: MakeClient
) -> None:
    scanner = make_client(recommendation_modules="all")
    await scanner.run_recommendation_scan(2)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert paths(calls) == [
        *TODAY[:5],
        "GET /api/computers/2/integritymonitoring/assignments",
        "POST /api/computers/2/integritymonitoring/assignments",
        "GET /api/computers/2/loginspection/assignments",
        "POST /api/computers/2/loginspection/assignments",
        "DELETE /api/scheduledtasks/1",
    ]
    assert [call["body"] for call in calls[6:9:2]] == [{"ruleIDs": [7002, 7003]}, {"ruleIDs": [8002]}]
    assigned = (await sandbox.computer(2))["_sandbox"]["assignedRuleIDs"]
    assert assigned[IM] == [7001, 7002, 7003, 7004] and assigned[LI] == [8001, 8002, 8003]
    for module in ("integritymonitoring", "loginspection"):
        _, answer, _ = await sandbox.api("GET", f"/computers/2/{module}/assignments")
        assert answer["recommendedToAssignRuleIDs"] == [] and answer["recommendationScanStatus"] == "valid"


async def test_with_unassign_only_the_recommended_un_assignments_are_removed(
    sandbox: Any, make_client: MakeClient
) -> None:
    await with_an_ips_rule_to_unassign(sandbox)
    scanner = make_client(recommendation_modules="all", recommendation_unassign=True)
    await scanner.run_recommendation_scan(2)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    removals = [call["path"] for call in calls if call["method"] == "DELETE"]
    assert removals == [
        "/api/computers/2/intrusionprevention/assignments/3001",
        "/api/computers/2/integritymonitoring/assignments/7004",
        "/api/computers/2/loginspection/assignments/8003",
        "/api/scheduledtasks/1",
    ]
    assert all(call["status"] == 200 for call in calls[:-1])
    assigned = (await sandbox.computer(2))["_sandbox"]["assignedRuleIDs"]
    assert assigned == {
        IPS: sorted({1001, 1002, 1003, 4211, 4305}),
        IM: [7001, 7002, 7003],
        LI: [8001, 8002],
    }, "recommended rules added, recommended un-assignments removed, every other rule kept"


async def test_unassign_with_ips_only_touches_no_other_module(sandbox: Any, make_client: MakeClient) -> None:
    await with_an_ips_rule_to_unassign(sandbox)
    scanner = make_client(recommendation_unassign=True)
    await scanner.run_recommendation_scan(2)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert paths(calls) == [*TODAY[:5], "DELETE /api/computers/2/intrusionprevention/assignments/3001", TODAY[5]]
    assert not any("integritymonitoring" in call["path"] or "loginspection" in call["path"] for call in calls)


async def test_a_scan_applied_earlier_is_applied_again_for_every_module(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(recommendation_modules="all")
    await client.run_recommendation_scan(2, apply=False)
    await client.flush_task_cleanup(5.0)
    since = (await sandbox.calls())[-1]["seq"]
    await client.apply_recommendations(2)
    writes = [(call["method"], call["path"]) for call in await sandbox.calls(since) if call["method"] != "GET"]
    assert writes == [
        ("POST", "/api/computers/2/intrusionprevention/assignments"),
        ("POST", "/api/computers/2/integritymonitoring/assignments"),
        ("POST", "/api/computers/2/loginspection/assignments"),
    ]


async def test_auto_apply_for_all_modules_needs_every_modules_setting(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(recommendations="auto-apply", recommendation_modules="all")
    await client.run_recommendation_scan(3)
    await client.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert "POST /api/computers/3/integritymonitoring/assignments" in paths(calls), (
        "demo-db-1's policy auto-applies IPS only: the other modules are assigned explicitly"
    )
    for name in ("integrityMonitoring", "logInspection"):
        setting = f"{name}SettingAutoApplyRecommendationsEnabled"
        status, _, _ = await sandbox.api("POST", f"/computers/1/settings/{setting}", {"value": "Yes"})
        assert status == 200
    setting = "intrusionPreventionSettingAutoApplyRecommendationsEnabled"
    await sandbox.api("POST", f"/computers/1/settings/{setting}", {"value": "Yes"})
    since = (await sandbox.calls())[-1]["seq"]
    await client.run_recommendation_scan(1)
    await client.flush_task_cleanup(5.0)
    assert [c for c in await sandbox.calls(since) if "assignments" in c["path"] and c["method"] == "POST"] == []
    assigned = (await sandbox.computer(1))["_sandbox"]["assignedRuleIDs"]
    assert assigned[IM] == [7001, 7003] and assigned[LI] == [8002, 8004], "the manager applied them"
