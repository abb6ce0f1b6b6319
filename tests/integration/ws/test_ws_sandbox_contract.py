"""The sandbox speaks the WS API v1 shapes of the reference (workload-security-api.md) over raw HTTP."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REFERENCE_TASK = {
    "name": "reco-scan i-0e80f75f9532ad1ba",
    "type": "scan-for-recommendations",
    "runNow": True,
    "scheduleDetails": {"recurrenceType": "none", "recurrenceCount": 1, "onceOnlyScheduleParameters": {"startTime": 0}},
    "scanForRecommendationsTaskParameters": {"computerFilter": {"type": "computer", "computerID": 1}},
}
ASSIGNMENT_KEYS = {
    "assignedRuleIDs",
    "assignedApplicationTypeIDs",
    "recommendationScanStatus",
    "recommendedToAssignRuleIDs",
    "recommendedToUnassignRuleIDs",
}


def by_instance(instance_id: str, field: str = "ec2VirtualMachineSummary/instanceID") -> dict[str, Any]:
    return {
        "maxItems": 2,
        "searchCriteria": [
            {"fieldName": field, "stringTest": "equal", "stringValue": instance_id, "stringWildcards": False}
        ],
    }


async def test_computer_search_answers_in_the_reference_shape(sandbox: Any) -> None:
    status, answer, headers = await sandbox.api(
        "POST",
        "/computers/search",
        by_instance("i-12345678901234567"),
        params=[
            ("expand", "computerStatus"),
            ("expand", "ec2VirtualMachineSummary"),
            ("expand", "intrusionPrevention"),
        ],
    )
    assert status == 200 and "X-DSM-Version" in headers
    [computer] = answer["computers"]
    assert set(computer) >= {"ID", "hostName", "displayName", "policyID", "groupID", "agentVersion", "agentFingerPrint"}
    assert set(computer) & {"antiMalware", "integrityMonitoring", "computerSettings"} == set(), "only what was expanded"
    assert computer["computerStatus"] == {"agentStatus": "active", "agentStatusMessages": ["Managed (Online)"]}
    assert set(computer["ec2VirtualMachineSummary"]) >= {
        "cloudProvider",
        "accountID",
        "instanceID",
        "availabilityZone",
        "type",
        "state",
        "amiID",
        "securityGroups",
    }
    ips = computer["intrusionPrevention"]
    assert ips["state"] == "prevent" and ips["ruleIDs"] == [1001, 1002]
    assert ips["moduleStatus"] == {"agentStatus": "active", "agentStatusMessage": "On, Prevent"}
    assert isinstance(computer["lastAgentCommunication"], int)


async def test_expand_none_returns_basic_fields_and_the_default_is_all(sandbox: Any) -> None:
    _, basic, _ = await sandbox.api("GET", "/computers/3", params={"expand": "none"})
    assert not [key for key, value in basic.items() if isinstance(value, dict)]
    assert basic["hostName"] == "demo-db-1" and basic["policyID"] == 3
    _, full, _ = await sandbox.api("GET", "/computers/3")
    assert full["noConnectorVirtualMachineSummary"] == {
        "accountID": "123456789012",
        "instanceID": "i-99999999",
        "region": "us-east-1",
    }
    assert full["computerSettings"]["intrusionPreventionSettingAutoApplyRecommendationsEnabled"] == {"value": "Yes"}
    assert "_sandbox" not in full


async def test_agent_reported_instance_ids_are_searchable(sandbox: Any) -> None:
    _, answer, _ = await sandbox.api(
        "POST", "/computers/search", by_instance("i-99999999", "noConnectorVirtualMachineSummary/instanceID")
    )
    assert [c["ID"] for c in answer["computers"]] == [3]
    _, none, _ = await sandbox.api("POST", "/computers/search", by_instance("i-99999999"))
    assert none == {"computers": []}


async def test_instance_searches_follow_case_changes_and_every_criterion(sandbox: Any) -> None:
    async def ids(*criteria: dict[str, Any]) -> list[int]:
        _, answer, _ = await sandbox.api("POST", "/computers/search", {"searchCriteria": list(criteria)})
        return [c["ID"] for c in answer["computers"]]

    instance = {"fieldName": "ec2VirtualMachineSummary/instanceID", "stringTest": "equal"}
    assert await ids({**instance, "stringValue": "I-12345678901234567"}) == [1]
    assert (
        await ids({**instance, "stringValue": "i-12345678901234567"}, {"fieldName": "policyID", "numericValue": 9})
        == []
    )
    status, _, _ = await sandbox.api(
        "POST", "/computers/2", {"ec2VirtualMachineSummary": {"instanceID": "i-12345678901234567"}}
    )
    assert status == 200
    assert await ids({**instance, "stringValue": "i-12345678901234567"}) == [1, 2]
    status, _, _ = await sandbox.api("POST", "/computers/1", {"ec2VirtualMachineSummary": {"instanceID": "i-1"}})
    assert await ids({**instance, "stringValue": "i-12345678901234567"}) == [2]
    assert await ids({**instance, "stringValue": "i-1"}) == [1]


async def test_paging_by_id(sandbox: Any) -> None:
    seen: list[int] = []
    last = 0
    while True:
        body = {"maxItems": 4, "searchCriteria": [{"idTest": "greater-than", "idValue": last}], "sortByObjectID": True}
        _, page, _ = await sandbox.api("POST", "/intrusionpreventionrules/search", body)
        rules = page["intrusionPreventionRules"]
        if not rules:
            break
        assert len(rules) <= 4
        seen += [rule["ID"] for rule in rules]
        last = rules[-1]["ID"]
    assert seen == sorted(seen) and len(seen) == 11


async def test_search_criteria_kinds(sandbox: Any) -> None:
    async def ids(resource: str, *criteria: dict[str, Any]) -> list[int]:
        status, answer, _ = await sandbox.api("POST", f"/{resource}/search", {"searchCriteria": list(criteria)})
        assert status == 200
        wrapper = next(iter(answer))
        return [obj["ID"] for obj in answer[wrapper]]

    assert await ids("policies", {"fieldName": "name", "stringTest": "equal", "stringValue": "Base Policy"}) == [1]
    assert await ids("policies", {"fieldName": "name", "stringValue": "%servers"}) == [2, 3]
    assert await ids("computers", {"fieldName": "policyID", "numericTest": "equal", "numericValue": 2}) == [1, 2]
    assert await ids("computers", {"fieldName": "ec2VirtualMachineSummary/instanceID", "nullTest": True}) == [3]
    assert await ids("intrusionpreventionrules", {"fieldName": "canBeAssignedAlone", "booleanTest": False}) == [
        4211,
        4410,
    ]
    assert await ids("computers", {"fieldName": "computerStatus/agentStatus", "choiceValue": "active"}) == [1, 2, 3, 4]
    assert await ids("intrusionpreventionrules", {"fieldName": "CVE", "stringValue": "CVE-2021-4504_"}) == [4211]
    status, answer, _ = await sandbox.api("POST", "/computers/search", {"searchCriteria": [{"fieldName": "hostName"}]})
    assert (status, answer) == (400, {"message": "The search criterion has no test."})


async def test_ips_rule_shape(sandbox: Any) -> None:
    status, rule, _ = await sandbox.api("GET", "/intrusionpreventionrules/2874")
    assert status == 200
    assert rule["identifier"] == "1008224" and rule["CVE"] == ["CVE-2017-5638"]
    assert rule["CVSSScore"] == "10.0", "a string, as in the API"
    assert {"severity", "priority", "type", "applicationTypeID", "detectOnly", "recommendationsMode"} <= set(rule)
    assert {"canBeAssignedAlone", "dependsOnRuleIDs", "lastUpdated"} <= set(rule)


async def test_unknown_objects_are_404_with_a_message(sandbox: Any) -> None:
    for path, kind in (
        ("/computers/77", "computer"),
        ("/policies/77", "policy"),
        ("/intrusionpreventionrules/77", "intrusion prevention rule"),
        ("/applicationtypes/77", "application type"),
        ("/scheduledtasks/77", "scheduled task"),
        ("/computers/77/intrusionprevention/assignments", "computer"),
    ):
        assert (await sandbox.api("GET", path))[:2] == (404, {"message": f"The {kind} does not exist."})
    status, answer, _ = await sandbox.api("GET", "/nothing/here")
    assert (status, answer) == (404, {"message": "Not found"})


@pytest.mark.parametrize("scheme", ["apikey", "api-secret-key"])
async def test_both_auth_schemes_and_the_invalid_key_answer(sandbox: Any, scheme: str) -> None:
    assert (await sandbox.api("GET", "/policies/1", scheme=scheme))[0] == 200
    status, answer, _ = await sandbox.api("GET", "/policies/1", scheme=scheme, key="nope")
    assert (status, answer) == (401, {"message": "Invalid API Key"})


async def test_missing_key_and_missing_version_are_refused(sandbox: Any) -> None:
    assert (await sandbox.api("GET", "/policies/1", key=None))[:2] == (401, {"message": "Invalid API Key"})
    status, answer, _ = await sandbox.api("GET", "/policies/1", version=None)
    assert (status, answer) == (400, {"message": "The api-version header is required."})
    assert (await sandbox.api("GET", "/policies/1", version="v2"))[0] == 400
    assert [c["status"] for c in await sandbox.calls()] == [401, 400, 400]


async def test_the_read_only_key_reads_and_searches_but_cannot_write(sandbox: Any) -> None:
    key = "sandbox-auditor-key"
    assert (await sandbox.api("GET", "/computers/1", key=key))[0] == 200
    assert (await sandbox.api("POST", "/computers/search", {}, key=key))[0] == 200
    status, answer, _ = await sandbox.api(
        "POST", "/policies/2/intrusionprevention/assignments", {"ruleIDs": [2874]}, key=key
    )
    assert status == 403
    assert answer == {"message": "Not authorized to modify the policy or the requested modification is not permitted."}


async def test_the_rate_limit_counts_a_window_per_key(sandbox: Any) -> None:
    await sandbox.faults(rate_limit_per_minute=5, rate_limit_window_seconds=3)
    statuses = [(await sandbox.api("GET", "/policies/1"))[0] for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    status, answer, _ = await sandbox.api("GET", "/policies/1")
    assert (status, answer) == (429, {"message": "Too many API requests"})
    assert [c["faults"] for c in await sandbox.calls()] == [[]] * 5 + [["rate_limit"]] * 4
    await asyncio.sleep(3.05)
    assert (await sandbox.api("GET", "/policies/1"))[0] == 200, "the window passed"
    assert (await sandbox.api("GET", "/policies/1", key="sandbox-auditor-key"))[0] == 200, "limits are per key"


async def test_ips_assignments_add_replace_and_remove(sandbox: Any) -> None:
    path = "/policies/4/intrusionprevention/assignments"
    status, added, _ = await sandbox.api("POST", path, {"ruleIDs": [2874, 4211]})
    assert status == 200 and set(added) == ASSIGNMENT_KEYS
    assert added["assignedRuleIDs"] == [1001, 1003, 2874, 4211], "dependencies come along; inherited rules shown"
    assert added["assignedApplicationTypeIDs"] == [261, 308]
    _, again, _ = await sandbox.api("POST", path, {"ruleIDs": [3001]})
    assert again["assignedRuleIDs"] == [1001, 1003, 2874, 3001, 4211]
    _, own, _ = await sandbox.api("GET", path, params={"overrides": "true"})
    assert own["assignedRuleIDs"] == [1001, 1003, 2874, 3001, 4211], "1003 depends on 1001"
    _, replaced, _ = await sandbox.api("PUT", path, {"ruleIDs": [4305]})
    assert replaced["assignedRuleIDs"] == [1001, 4305]
    status, removed, _ = await sandbox.api("DELETE", path + "/4305")
    assert status == 200 and removed["assignedRuleIDs"] == [1001]
    status, answer, _ = await sandbox.api("POST", path, {"ruleIDs": [12345]})
    assert (status, answer) == (400, {"message": "The intrusion prevention rules do not exist: [12345]"})
    _, computer, _ = await sandbox.api("GET", "/computers/4", params={"expand": "intrusionPrevention"})
    assert computer["intrusionPrevention"]["ruleIDs"] == [1001]


async def test_reference_run_now_task_scans_and_stays_until_deleted(sandbox: Any) -> None:
    await sandbox.faults(task_auto_delete=False)
    _, before, _ = await sandbox.api("GET", "/computers/1/intrusionprevention/assignments")
    assert before["recommendationScanStatus"] == "none" and "lastRecommendationScanDate" not in before
    status, task, _ = await sandbox.api("POST", "/scheduledtasks", REFERENCE_TASK)
    assert status == 200
    assert task["ID"] == 1 and task["name"] == REFERENCE_TASK["name"] and task["enabled"] is True
    assert task["scanForRecommendationsTaskParameters"] == REFERENCE_TASK["scanForRecommendationsTaskParameters"]
    assert task["lastRunTime"] > 0 and "runNow" not in task
    _, after, _ = await sandbox.api("GET", "/computers/1/intrusionprevention/assignments")
    assert after["recommendationScanStatus"] == "valid"
    assert after["lastRecommendationScanDate"] >= task["lastRunTime"]
    assert after["recommendedToAssignRuleIDs"] == [2874, 4410]
    _, listed, _ = await sandbox.api("GET", "/scheduledtasks")
    assert [t["ID"] for t in listed["scheduledTasks"]] == [1]
    assert (await sandbox.api("POST", "/scheduledtasks", REFERENCE_TASK))[0] == 400, "names are unique"
    assert (await sandbox.api("DELETE", "/scheduledtasks/1"))[0] == 204
    assert (await sandbox.api("DELETE", "/scheduledtasks/1"))[0] == 404


async def test_rerunning_a_task_with_run_now(sandbox: Any) -> None:
    body = dict(REFERENCE_TASK, type="scan-for-integrity-changes", runNow=False)
    body["scanForIntegrityChangesTaskParameters"] = body.pop("scanForRecommendationsTaskParameters")
    _, task, _ = await sandbox.api("POST", "/scheduledtasks", body)
    assert "lastIntegrityScan" not in (await sandbox.computer(1))["integrityMonitoring"]
    assert (await sandbox.api("POST", f"/scheduledtasks/{task['ID']}", {"runNow": True}))[0] == 200
    assert (await sandbox.computer(1))["integrityMonitoring"]["lastIntegrityScan"] > 0


async def test_auto_apply_assigns_recommendations_during_the_scan(sandbox: Any) -> None:
    task = dict(REFERENCE_TASK, name="db scan")
    task["scanForRecommendationsTaskParameters"] = {"computerFilter": {"type": "computer", "computerID": 3}}
    await sandbox.api("POST", "/scheduledtasks", task)
    _, after, _ = await sandbox.api("GET", "/computers/3/intrusionprevention/assignments")
    assert {3001, 3002} <= set(after["assignedRuleIDs"]) and after["recommendedToAssignRuleIDs"] == []


async def test_scans_by_policy_filter_skip_computers_whose_modules_are_off(sandbox: Any) -> None:
    task = dict(REFERENCE_TASK, name="all", type="scan-for-malware")
    del task["scanForRecommendationsTaskParameters"]
    task["scanForMalwareTaskParameters"] = {"computerFilter": {"type": "all-computers"}, "timeout": "never"}
    assert (await sandbox.api("POST", "/scheduledtasks", task))[0] == 200
    scanned = {c["ID"]: c["antiMalware"].get("lastManualScan") for c in (await sandbox.state())["computers"]}
    assert [cid for cid, stamp in scanned.items() if stamp] == [1, 2, 3]


async def test_settings_inherit_and_can_be_set(sandbox: Any) -> None:
    name = "intrusionPreventionSettingAutoApplyRecommendationsEnabled"
    assert (await sandbox.api("GET", f"/computers/1/settings/{name}"))[1] == {"value": "No"}
    assert (await sandbox.api("POST", f"/policies/1/settings/{name}", {"value": "Yes"}))[1] == {"value": "Yes"}
    assert (await sandbox.api("GET", f"/computers/1/settings/{name}"))[1] == {"value": "No"}, "policy 2 says No"
    await sandbox.api("POST", "/policies/2", {"policySettings": {name: {"value": "Yes"}}})
    _, policy, _ = await sandbox.api("GET", "/policies/2")
    assert policy["policySettings"][name] == {"value": "Yes"} and policy["name"] == "Web Servers"
    assert (await sandbox.api("GET", f"/computers/1/settings/{name}"))[1] == {"value": "Yes"}


async def test_calls_record_method_path_query_body_and_status(sandbox: Any) -> None:
    await sandbox.api("POST", "/computers/search", {"maxItems": 1}, params=[("expand", "none")])
    await sandbox.api("GET", "/policies/99")
    first, second = await sandbox.calls()
    assert {k: first[k] for k in ("seq", "method", "path", "query", "body", "status", "auth")} == {
        "seq": 1,
        "method": "POST",
        "path": "/api/computers/search",
        "query": {"expand": ["none"]},
        "body": {"maxItems": 1},
        "status": 200,
        "auth": "apikey",
    }
    assert (second["seq"], second["status"], second["body"]) == (2, 404, None)
    assert [c["seq"] for c in await sandbox.calls(since=1)] == [2]
    _, answer, _ = await sandbox.api("GET", "/policies/1")
    assert answer["ID"] == 1
    assert (await sandbox.admin("GET", "calls?since=2"))["last_seq"] == 3


async def test_reset_restores_objects_faults_and_calls(sandbox: Any) -> None:
    await sandbox.api("POST", "/computers/1/intrusionprevention/assignments", {"ruleIDs": [4305]})
    await sandbox.faults(latency_ms=5, error_rate=0.5)
    await sandbox.reset()
    assert await sandbox.calls() == []
    state = await sandbox.state()
    assert state["faults"]["latency_ms"] == 0 and state["faults"]["error_rate"] == 0
    assert 4305 not in state["computers"][0]["_sandbox"]["effectiveRuleIDs"]


async def test_seed_replaces_sections_and_becomes_the_reset_point(sandbox: Any) -> None:
    computer = dict(await sandbox.computer(1), ID=50, hostName="demo-extra-1")
    computer["ec2VirtualMachineSummary"] = dict(computer["ec2VirtualMachineSummary"], instanceID="i-0abc0abc0abc0abc0")
    answer = await sandbox.admin("POST", "seed", {"computers": [computer]})
    rules = {"intrusionPreventionRules": 11, "integrityMonitoringRules": 4, "logInspectionRules": 4}
    assert answer == {"seeded": {"computers": 1, "policies": 4, **rules, "applicationTypes": 7}}
    await sandbox.reset()
    _, found, _ = await sandbox.api("POST", "/computers/search", by_instance("i-0abc0abc0abc0abc0"))
    assert [c["hostName"] for c in found["computers"]] == ["demo-extra-1"]
    async with sandbox.session.post(sandbox.url + "/_sandbox/seed", json={"computers": [{"ID": "x"}]}) as response:
        assert response.status == 400
    async with sandbox.session.post(
        sandbox.url + "/_sandbox/seed", json={"computers": [dict(computer, policyID=99)]}
    ) as response:
        assert response.status == 400 and "unknown policy 99" in (await response.json())["message"]


async def test_fault_knobs(sandbox: Any) -> None:
    knobs = await sandbox.faults(latency_ms=120)
    assert set(knobs) >= {"error_rate", "error_status", "latency_ms", "rate_limit_per_minute", "down", "fail_next"}
    started = time.monotonic()
    await sandbox.api("GET", "/policies/1")
    assert time.monotonic() - started >= 0.12
    await sandbox.faults(latency_ms=0, down=True)
    assert (await sandbox.api("GET", "/policies/1"))[:2] == (503, {"message": "Service Unavailable"})
    await sandbox.faults(down=False, error_rate=1.0, error_status=502)
    assert (await sandbox.api("GET", "/policies/1"))[:2] == (502, {"message": "Bad Gateway"})
    async with sandbox.session.post(sandbox.url + "/_sandbox/faults", json={"error_rate": 2}) as response:
        assert response.status == 400
    async with sandbox.session.post(sandbox.url + "/_sandbox/faults", json={"no_such_knob": 1}) as response:
        assert response.status == 400


async def test_counted_faults_hit_the_next_calls_and_are_recorded(sandbox: Any) -> None:
    knobs = await sandbox.faults(throttle_next=2, slow_next=1, slow_ms=150, fail_next=1, retry_after_seconds=2)
    assert (knobs["throttle_next"], knobs["slow_next"], knobs["fail_next"]) == (2, 1, 1)
    started = time.monotonic()
    status, answer, headers = await sandbox.api("GET", "/policies/1")
    assert time.monotonic() - started >= 0.15
    assert (status, answer, headers["Retry-After"]) == (429, {"message": "Too many API requests"}, "2")
    statuses = [(await sandbox.api("GET", "/policies/1"))[0] for _ in range(3)]
    assert statuses == [429, 500, 200]
    assert [c["faults"] for c in await sandbox.calls()] == [["latency", "throttle"], ["throttle"], ["error"], []]
    left = await sandbox.admin("GET", "faults")
    assert (left["throttle_next"], left["slow_next"], left["fail_next"]) == (0, 0, 0)


async def test_error_rate_is_repeatable_with_a_seed(sandbox: Any) -> None:
    async def pattern() -> list[int]:
        await sandbox.faults(error_rate=0.5, random_seed=11)
        return [(await sandbox.api("GET", "/policies/1"))[0] for _ in range(12)]

    first = await pattern()
    assert first == await pattern() and {200, 500} == set(first)


def test_the_cli_refuses_a_bad_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"computers": [{"ID": 1, "policyID": 5}]}))
    result = subprocess.run(
        [sys.executable, "-m", "wsbridge_sandbox", "--port", "0", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "unknown policy 5" in result.stderr
