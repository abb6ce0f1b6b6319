"""Every client operation against the sandbox over HTTP: results, and the calls it took to get them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from wsbridge.consumer.settings import AuthScheme, Settings
from wsbridge.consumer.workload_security import (
    InvalidRequestError,
    NotFoundError,
    ScanTimeoutError,
    WorkloadSecurityClient,
    computers,
    protection_verdict,
)
from wsbridge.consumer.workload_security.computers import COMPUTER_EXPAND

MakeClient = Callable[..., WorkloadSecurityClient]


def paths(calls: list[dict[str, Any]]) -> list[str]:
    return [f"{call['method']} {call['path']}" for call in calls]


@pytest.mark.parametrize(
    ("scheme", "recorded"), [(AuthScheme.APIKEY, "apikey"), (AuthScheme.API_SECRET_KEY, "api-secret-key")]
)
async def test_from_settings_speaks_the_configured_auth_scheme(sandbox: Any, scheme: AuthScheme, recorded: str) -> None:
    settings = Settings(queue_url="http://queue", ws_url=sandbox.api_url, ws_auth_scheme=scheme)
    async with WorkloadSecurityClient.from_settings(settings, api_key="sandbox-key") as client:
        await client.check()
    [call] = await sandbox.calls()
    assert (call["method"], call["path"], call["status"], call["auth"]) == (
        "POST",
        "/api/computers/search",
        200,
        recorded,
    )
    assert call["query"] == {"expand": ["none"]}
    assert call["body"] == {"maxItems": 1, "searchCriteria": []}


async def test_finds_a_connector_computer_with_one_search_limited_to_the_needed_sections(
    sandbox: Any, make_client: MakeClient
) -> None:
    [computer] = await make_client().find_computers_by_instance_id("i-12345678901234567")
    assert (computer.id, computer.host_name, computer.instance_id, computer.policy_id) == (
        1,
        "demo-web-1",
        "i-12345678901234567",
        2,
    )
    [call] = await sandbox.calls()
    assert call["query"]["expand"] == list(COMPUTER_EXPAND)
    assert call["body"]["searchCriteria"] == [
        {
            "fieldName": "ec2VirtualMachineSummary/instanceID",
            "stringTest": "equal",
            "stringValue": "i-12345678901234567",
            "stringWildcards": False,
        }
    ]


async def test_falls_back_to_the_agent_reported_instance_id(sandbox: Any, make_client: MakeClient) -> None:
    [computer] = await make_client().find_computers_by_instance_id("i-99999999")
    assert computer.host_name == "demo-db-1"
    assert computer.ec2_virtual_machine_summary is None
    fields = [call["body"]["searchCriteria"][0]["fieldName"] for call in await sandbox.calls()]
    assert fields == ["ec2VirtualMachineSummary/instanceID", "noConnectorVirtualMachineSummary/instanceID"]


async def test_matches_locally_when_the_manager_refuses_the_agent_field(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(unsearchable_fields=["noConnectorVirtualMachineSummary/instanceID"])
    client = make_client(cache_ttl_seconds=0)
    [computer] = await client.find_computers_by_instance_id("i-99999999")
    assert computer.id == 3
    assert [c["status"] for c in await sandbox.calls()] == [200, 400, 200, 200]
    before = len(await sandbox.calls())
    assert [c.id for c in await client.find_computers_by_instance_id("i-99999999")] == [3]
    later = await sandbox.calls(since=before)
    assert [c["status"] for c in later] == [200, 200, 200], "the refused search is not tried again"


async def test_unknown_instance_is_an_empty_list(make_client: MakeClient) -> None:
    assert await make_client().find_computers_by_instance_id("i-0000000000000000f") == []


async def test_several_computers_for_one_instance_come_back_best_first(sandbox: Any, make_client: MakeClient) -> None:
    stale = dict(await sandbox.computer(1), ID=9, hostName="demo-web-1-old", agentFingerPrint=None)
    stale["computerStatus"] = {"agentStatus": "inactive", "agentStatusMessages": ["Unmanaged (Unknown)"]}
    seed = (await sandbox.state())["computers"] + [stale]
    await sandbox.admin("POST", "seed", {"computers": seed})
    hits = await make_client().find_computers_by_instance_id("i-12345678901234567")
    assert [c.id for c in hits] == [1, 9]


async def test_a_burst_of_lookups_for_one_instance_costs_one_search(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    results = await asyncio.gather(*(client.find_computers_by_instance_id("i-12345678901234567") for _ in range(25)))
    assert {tuple(c.id for c in hits) for hits in results} == {(1,)}
    await client.find_computers_by_instance_id("i-12345678901234567")
    assert len(await sandbox.calls()) == 1


async def test_lookups_expire_after_the_ttl(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(cache_ttl_seconds=0.1)
    await client.find_computers_by_instance_id("i-12345678901234567")
    await asyncio.sleep(0.15)
    await client.find_computers_by_instance_id("i-12345678901234567")
    assert len(await sandbox.calls()) == 2


async def test_an_invalid_instance_id_is_refused_without_a_call(sandbox: Any, make_client: MakeClient) -> None:
    with pytest.raises(InvalidRequestError):
        await make_client().find_computers_by_instance_id("i-12%")
    assert await sandbox.calls() == []


async def test_get_computer_and_its_verdict(make_client: MakeClient) -> None:
    client = make_client()
    protected = protection_verdict(await client.get_computer(2))
    legacy = protection_verdict(await client.get_computer(4), await client.get_policy(4))
    assert protected.protected and protected.reasons == []
    assert not legacy.protected
    assert legacy.intrusion_prevention_mode == "detect"
    assert legacy.reasons == [
        "anti malware is off",
        "intrusion prevention is in detect mode, not prevent",
        "integrity monitoring is off",
    ]


async def test_unknown_computer_is_not_found_with_the_api_message_and_no_retry(
    sandbox: Any, make_client: MakeClient
) -> None:
    with pytest.raises(NotFoundError) as raised:
        await make_client().get_computer(404)
    assert (raised.value.status, raised.value.message, raised.value.retryable) == (
        404,
        "The computer does not exist.",
        False,
    )
    assert len(await sandbox.calls()) == 1


async def test_get_policy_reads_settings_and_is_cached(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    policy = await client.get_policy(3)
    again = await client.get_policy(3)
    assert again is policy
    assert policy.name == "Database Servers"
    assert policy.setting("intrusionPreventionSettingAutoApplyRecommendationsEnabled") == "Yes"
    assert policy.intrusion_prevention is not None
    assert policy.intrusion_prevention.rule_ids == [1001], "inherited from Base Policy"
    assert paths(await sandbox.calls()) == ["GET /api/policies/3"]


async def test_recommendation_scan_assigns_what_it_recommends(sandbox: Any, make_client: MakeClient) -> None:
    scanner = make_client()
    await scanner.run_recommendation_scan(1)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert paths(calls) == [
        "POST /api/scheduledtasks/search",
        "GET /api/computers/1/intrusionprevention/assignments",
        "POST /api/scheduledtasks",
        "GET /api/computers/1/intrusionprevention/assignments",
        "POST /api/computers/1/intrusionprevention/assignments",
        "DELETE /api/scheduledtasks/1",
    ], "an unfinished scan is looked for first; the scan's task is removed once its results are applied"
    task = calls[2]["body"]
    assert task["type"] == "scan-for-recommendations" and task["runNow"] is True
    assert task["scheduleDetails"] == {
        "recurrenceType": "none",
        "recurrenceCount": 1,
        "onceOnlyScheduleParameters": {"startTime": 0},
    }
    assert task["scanForRecommendationsTaskParameters"] == {"computerFilter": {"type": "computer", "computerID": 1}}
    assert task["name"].startswith("wsbridge recommendation scan computer 1 after 0 ")
    assert calls[4]["body"] == {"ruleIDs": [2874, 4410]}
    computer = await sandbox.computer(1)
    assert {2874, 4410, 4411} <= set(computer["_sandbox"]["effectiveRuleIDs"])
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_recommendation_scan_without_apply_only_scans(sandbox: Any, make_client: MakeClient) -> None:
    scanner = make_client()
    await scanner.run_recommendation_scan(2, apply=False)
    await scanner.flush_task_cleanup(5.0)
    assert paths(await sandbox.calls()) == [
        "GET /api/computers/2/intrusionprevention/assignments",
        "POST /api/scheduledtasks",
        "DELETE /api/scheduledtasks/1",
    ], "the scan date is read first, so that a lost answer can be reconciled"
    computer = await sandbox.computer(2)
    assert computer["_sandbox"]["recommendationScanStatus"] == "valid"
    assert 4211 not in computer["_sandbox"]["effectiveRuleIDs"]


async def test_auto_apply_mode_leaves_applying_to_the_manager(sandbox: Any, make_client: MakeClient) -> None:
    scanner = make_client(recommendations="auto-apply")
    await scanner.run_recommendation_scan(3)
    await scanner.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert paths(calls) == [
        "GET /api/computers/3",
        "GET /api/computers/3/intrusionprevention/assignments",
        "POST /api/scheduledtasks",
        "DELETE /api/scheduledtasks/1",
    ]
    assert calls[0]["query"] == {"expand": ["computerSettings"]}
    assert {3001, 3002} <= set((await sandbox.computer(3))["_sandbox"]["effectiveRuleIDs"])


async def test_auto_apply_mode_assigns_where_the_policy_does_not_auto_apply(
    sandbox: Any, make_client: MakeClient
) -> None:
    scanner = make_client(recommendations="auto-apply")
    await scanner.run_recommendation_scan(1)
    await scanner.flush_task_cleanup(5.0)
    [assigned] = [call for call in await sandbox.calls() if call["method"] == "POST" and "assignments" in call["path"]]
    assert assigned["path"] == "/api/computers/1/intrusionprevention/assignments"
    assert assigned["body"] == {"ruleIDs": [2874, 4410]}


async def test_waits_for_a_slow_scan(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(scan_delay_ms=150)
    scanner = make_client()
    await scanner.run_recommendation_scan(2)
    await scanner.flush_task_cleanup(5.0)
    polls = [c for c in await sandbox.calls() if c["path"].endswith("/assignments") and c["method"] == "GET"]
    assert len(polls) >= 3, "one read before the scan, at least two while waiting"
    assert {4211, 4305} <= set((await sandbox.computer(2))["_sandbox"]["effectiveRuleIDs"])


async def test_a_scan_that_never_finishes_is_a_retryable_timeout(sandbox: Any, make_client: MakeClient) -> None:
    status, _, _ = await sandbox.api("POST", "/computers/4", {"computerStatus": {"agentStatus": "error"}})
    assert status == 200
    with pytest.raises(ScanTimeoutError) as raised:
        scanner = make_client(scan_wait_seconds=0.2)
        await scanner.run_recommendation_scan(4)
        await scanner.flush_task_cleanup(5.0)
    assert raised.value.retryable


async def test_integrity_and_malware_scans_touch_the_computer_and_clean_up(
    sandbox: Any, make_client: MakeClient
) -> None:
    client = make_client()
    await client.run_integrity_scan(1)
    await client.flush_task_cleanup(5.0)
    await client.run_malware_scan(1)
    await client.flush_task_cleanup(5.0)
    calls = await sandbox.calls()
    assert [(c["method"], c["path"], c["query"]) for c in calls if c["method"] == "GET"] == [
        ("GET", "/api/computers/1", {"expand": ["integrityMonitoring"]}),
        ("GET", "/api/computers/1", {"expand": ["antiMalware"]}),
    ], "the scan date is read first, so that a lost answer can be reconciled"
    creates = [c["body"] for c in calls if c["method"] == "POST"]
    assert [body["type"] for body in creates] == ["scan-for-integrity-changes", "scan-for-malware"]
    assert creates[1]["scanForMalwareTaskParameters"]["computerFilter"] == {"type": "computer", "computerID": 1}
    computer = await sandbox.computer(1)
    assert computer["integrityMonitoring"]["lastIntegrityScan"] > 0
    assert computer["antiMalware"]["lastManualScan"] > 0
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_a_task_the_manager_already_deleted_is_fine(sandbox: Any, make_client: MakeClient) -> None:
    scanner = make_client()
    await scanner.run_integrity_scan(2)
    await scanner.flush_task_cleanup(5.0)
    assert [(c["method"], c["status"]) for c in await sandbox.calls()] == [("GET", 200), ("POST", 200), ("DELETE", 404)]


async def test_a_task_the_manager_keeps_is_deleted(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(task_auto_delete=False)
    scanner = make_client()
    await scanner.run_integrity_scan(2)
    await scanner.flush_task_cleanup(5.0)
    assert [(c["method"], c["status"]) for c in await sandbox.calls()] == [("GET", 200), ("POST", 200), ("DELETE", 204)]
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_rules_for_a_cve_include_dependencies(sandbox: Any, make_client: MakeClient) -> None:
    rules = await make_client().ips_rules_for_cve("cve-2021-44228")
    assert [rule.id for rule in rules] == [4211, 1003, 1001]
    assert rules[0].covers("CVE-2021-44228") and rules[0].depends_on_rule_ids == [1003]
    search = (await sandbox.calls())[0]
    assert search["body"]["searchCriteria"][0] == {
        "fieldName": "CVE",
        "stringTest": "equal",
        "stringValue": "%CVE-2021-44228%",
        "stringWildcards": True,
    }


async def test_cve_membership_is_exact(sandbox: Any, make_client: MakeClient) -> None:
    status, answer, _ = await sandbox.api(
        "POST",
        "/intrusionpreventionrules/search",
        {"searchCriteria": [{"fieldName": "CVE", "stringValue": "%CVE-2022-4098%"}]},
    )
    assert status == 200 and {r["ID"] for r in answer["intrusionPreventionRules"]} == {4305, 4306}
    rules = await make_client().ips_rules_for_cve("CVE-2022-4098")
    assert [rule.id for rule in rules] == [4306]


async def test_the_rule_catalogue_is_cached(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    first = await client.ips_rules_for_cve("CVE-2024-29069")
    calls = len(await sandbox.calls())
    again = await asyncio.gather(*(client.ips_rules_for_cve("CVE-2024-29069") for _ in range(10)))
    assert [r.id for r in first] == [4410, 4411]
    assert all([r.id for r in rules] == [4410, 4411] for rules in again)
    assert len(await sandbox.calls()) == calls
    assert await client.ips_rules_for_cve("CVE-1999-0001") == []


async def test_a_malformed_cve_is_refused_without_a_call(sandbox: Any, make_client: MakeClient) -> None:
    with pytest.raises(InvalidRequestError):
        await make_client().ips_rules_for_cve("CVE-2021-%")
    assert await sandbox.calls() == []


async def test_assigning_rules_to_a_policy_adds_and_keeps_the_others(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    await asyncio.gather(*(client.assign_ips_rules_to_policy(4, [rule]) for rule in (2874, 3001, 3002, 4305)))
    assignments = await client.policy_ips_assignments(4)
    assert {2874, 3001, 3002, 4305} <= set(assignments.assigned_rule_ids)
    posts = [c for c in await sandbox.calls() if c["method"] == "POST"]
    assert len(posts) == 4 and all(c["path"] == "/api/policies/4/intrusionprevention/assignments" for c in posts)
    assert not [c for c in await sandbox.calls() if c["method"] == "PUT"]


async def test_assigning_rules_to_a_computer_refreshes_its_cached_lookup(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    [before] = await client.find_computers_by_instance_id("i-05746eb48123455e0")
    await client.assign_ips_rules_to_computer(4, [4211, 4211])
    [after] = await client.find_computers_by_instance_id("i-05746eb48123455e0")
    assert before.intrusion_prevention is not None and after.intrusion_prevention is not None
    assert 4211 not in before.intrusion_prevention.rule_ids
    assert {4211, 1003} <= set(after.intrusion_prevention.rule_ids)
    post = next(c for c in await sandbox.calls() if c["method"] == "POST" and "assignments" in c["path"])
    assert post["body"] == {"ruleIDs": [4211]}
    searches = [c for c in await sandbox.calls() if c["path"] == "/api/computers/search"]
    assert len(searches) == 1, "the cached lookup got the rules: the next finding needs no search"
    fresh = await client.get_computer(4)
    assert fresh.intrusion_prevention is not None
    assert after.intrusion_prevention.rule_ids == fresh.intrusion_prevention.rule_ids


async def test_assigning_rules_to_a_policy_adds_them_to_its_cached_computers(
    sandbox: Any, make_client: MakeClient
) -> None:
    client = make_client()
    instances = ("i-12345678901234567", "i-07b035550fa86717d")
    for instance_id in instances:
        await client.find_computers_by_instance_id(instance_id)
    policy = await client.get_policy(2)
    await client.assign_ips_rules_to_policy(2, [3002])
    looked_up = [(await client.find_computers_by_instance_id(instance_id))[0] for instance_id in instances]
    cached_policy = await client.get_policy(2)
    calls = await sandbox.calls()
    assert [c["path"] for c in calls].count("/api/computers/search") == 2
    assert [c["path"] for c in calls].count("/api/policies/2") == 1
    assert policy.intrusion_prevention is not None and cached_policy.intrusion_prevention is not None
    assert 3002 not in policy.intrusion_prevention.rule_ids
    fresh_policy = await client.policy_ips_assignments(2)
    assert set(cached_policy.intrusion_prevention.rule_ids) == set(fresh_policy.assigned_rule_ids)
    for computer in looked_up:
        fresh = await client.get_computer(computer.id)
        assert computer.intrusion_prevention is not None and fresh.intrusion_prevention is not None
        assert 3002 in computer.intrusion_prevention.rule_ids
        assert computer.intrusion_prevention.rule_ids == fresh.intrusion_prevention.rule_ids


async def test_many_uncached_instances_are_looked_up_with_one_walk(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    instances = ["i-12345678901234567", "i-07b035550fa86717d", "i-05746eb48123455e0", "i-0aaaaaaaaaaaaaaaa"]
    client.warm_instance_lookups(instances[:3])
    await asyncio.sleep(0)
    assert await sandbox.calls() == [], "fewer than four uncached instances are left to their findings"
    client.warm_instance_lookups(instances)
    found = [await client.find_computers_by_instance_id(instance_id) for instance_id in instances]
    assert [[computer.id for computer in hits] for hits in found] == [[1], [2], [4], []]
    [agent_reported] = await client.find_computers_by_instance_id("i-99999999")
    assert agent_reported.id == 3, "every instance the walk saw is cached, not only the batch's"
    assert [c["path"] for c in await sandbox.calls()] == ["/api/computers/search"]


async def test_instances_received_during_a_walk_wait_for_it(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    await sandbox.faults(latency_ms=200)
    client.warm_instance_lookups(
        ["i-12345678901234567", "i-07b035550fa86717d", "i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"]
    )
    client.warm_instance_lookups(["i-05746eb48123455e0", "i-99999999"])
    found = await client.find_computers_by_instance_ids(["i-05746eb48123455e0", "i-99999999"])
    assert {key: [c.id for c in hits] for key, hits in found.items()} == {"i-05746eb48123455e0": [4], "i-99999999": [3]}
    assert [c["path"] for c in await sandbox.calls()] == ["/api/computers/search"], "one walk, no second one"


async def test_a_fleet_beyond_the_look_ahead_pages_turns_it_off(
    sandbox: Any, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(computers, "BATCH_PAGE", 2)
    monkeypatch.setattr(computers, "LOOK_AHEAD_PAGES", 1)
    client = make_client()
    instances = ["i-12345678901234567", "i-07b035550fa86717d", "i-05746eb48123455e0", "i-0aaaaaaaaaaaaaaaa"]
    client.warm_instance_lookups(instances)
    found = [await client.find_computers_by_instance_id(instance_id) for instance_id in instances]
    assert [[computer.id for computer in hits] for hits in found] == [[1], [2], [4], []]
    calls = await sandbox.calls()
    assert [c["path"] for c in calls] == ["/api/computers/search"] * 6, "a page, then searches (two for none)"
    client.warm_instance_lookups([f"i-0{digit * 16}" for digit in "bcde"])
    await asyncio.sleep(0.1)
    assert len(await sandbox.calls()) == len(calls), "no walk once the computers overflowed its page"


async def test_assigning_nothing_makes_no_call(sandbox: Any, make_client: MakeClient) -> None:
    await make_client().assign_ips_rules_to_policy(2, [])
    assert await sandbox.calls() == []


async def test_assigning_an_unknown_rule_is_a_permanent_error(sandbox: Any, make_client: MakeClient) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        await make_client().assign_ips_rules_to_policy(2, [999999])
    assert raised.value.status == 400 and not raised.value.retryable
    assert len(await sandbox.calls()) == 1


async def test_application_types(make_client: MakeClient) -> None:
    types = await make_client().list_application_types()
    names = {t.name for t in types}
    assert {"Web Server Common", "Web Application Common"} <= names
    assert [t.id for t in types] == sorted(t.id for t in types)


async def test_any_search_pages_by_id(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client()
    rules = [item async for item in client.iter_search("intrusionpreventionrules", page_size=3)]
    assert [r["ID"] for r in rules] == sorted(r["ID"] for r in (await sandbox.state())["intrusionPreventionRules"])
    bodies = [c["body"] for c in await sandbox.calls()]
    assert len(bodies) == 4, "11 rules in pages of 3; the short fourth page ends it"
    assert [b["searchCriteria"][-1] for b in bodies] == [
        {"idTest": "greater-than", "idValue": value} for value in (0, 1003, 3002, 4306)
    ]
    assert all(b["sortByObjectID"] is True and b["maxItems"] == 3 for b in bodies)
