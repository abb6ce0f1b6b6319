"""Every request the WS client makes, and every answer the sandbox gives it, agree with Trend's SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contract import sdk
from contract.checks import call_problems

from wsbridge.consumer.workload_security import WorkloadSecurityClient

MakeClient = Callable[..., WorkloadSecurityClient]


async def every_operation(sandbox: Any, make_client: MakeClient) -> None:
    """Each public client operation at least once, both recommendation modes, the recommendations of all
    modules with their un-assignments, a refused agent field."""
    client = make_client()
    await client.check()
    assert [c.id for c in await client.find_computers_by_instance_id("i-12345678901234567")] == [1]
    assert [c.id for c in await client.find_computers_by_instance_id("i-99999999")] == [3]
    assert await client.find_computers_by_instance_id("i-0000000000000000a") == []
    await client.get_computer(4)
    await client.get_policy(2)
    await client.run_recommendation_scan(1)
    await client.run_recommendation_scan(2, apply=False)
    await make_client(recommendations="auto-apply").run_recommendation_scan(3)
    await make_client(recommendations="auto-apply").run_recommendation_scan(2)
    await make_client(recommendation_modules="all", recommendation_unassign=True).run_recommendation_scan(2)
    await client.run_integrity_scan(1)
    await client.run_malware_scan(2)
    assert [r.id for r in await client.ips_rules_for_cve("CVE-2021-44228")][:1] == [4211]
    await client.computer_ips_assignments(1)
    await client.policy_ips_assignments(2)
    await client.assign_ips_rules_to_policy(4, [2874])
    await client.assign_ips_rules_to_computer(4, [4305])
    await client.list_application_types()
    for resource in sdk.SANDBOX_RESOURCES:
        [item async for item in client.iter_search(resource, page_size=2)]
    [item async for item in client.iter_search("computers", expand_sections=["computerStatus", "tasks"])]
    await sandbox.faults(unsearchable_fields=["noConnectorVirtualMachineSummary/instanceID"])
    assert [c.id for c in await make_client().find_computers_by_instance_id("i-99999999")] == [3]


async def test_every_client_call_and_its_answer_match_the_sdk(sandbox: Any, make_client: MakeClient) -> None:
    await every_operation(sandbox, make_client)
    calls = await sandbox.calls()
    problems = [problem for call in calls for problem in call_problems(call)]
    assert problems == []
    operations = {sdk.route_for(c["method"], c["path"].removeprefix("/api")).operation for c in calls}  # type: ignore[union-attr]
    assert len(calls) >= 60 and len(operations) >= 20, (len(calls), sorted(operations))
    assert operations >= {
        "add_integrity_monitoring_rule_ids_to_computer",
        "remove_integrity_monitoring_rule_id_from_computer",
        "add_log_inspection_rule_ids_to_computer",
        "remove_log_inspection_rule_id_from_computer",
    }, sorted(operations)


async def test_lost_answers_keep_to_the_contract_too(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(error_rate=0.3, random_seed=7, error_status=503, error_after_processing=True)
    client = make_client(max_attempts=10)
    for computer_id in (1, 2, 3):
        await client.run_integrity_scan(computer_id)
        await client.run_recommendation_scan(computer_id)
    calls = await sandbox.calls()
    assert any(c["status"] == 503 for c in calls)
    assert [problem for call in calls for problem in call_problems(call)] == []


async def test_a_request_or_answer_that_drifts_from_the_sdk_fails(sandbox: Any, make_client: MakeClient) -> None:
    await make_client().find_computers_by_instance_id("i-12345678901234567")
    await make_client().run_integrity_scan(1)
    search, _, create = (await sandbox.calls())[:3]
    assert call_problems(search) == [] and call_problems(create) == []

    misspelled = dict(search, body={**search["body"], "searchCriteria": [dict(search["body"]["searchCriteria"][0])]})
    misspelled["body"]["searchCriteria"][0]["fieldName"] = "ec2VirtualMachineSummary/instanceId"
    assert "has no field ec2VirtualMachineSummary/instanceId" in " ".join(call_problems(misspelled))
    bogus_expand = dict(search, query={"expand": ["computerStatus", "bogus"]})
    assert "Invalid expand value: bogus" in " ".join(call_problems(bogus_expand))
    too_many = dict(search, body={**search["body"], "maxItems": 100_000})
    assert "maxItems must be between 0 and 5000" in " ".join(call_problems(too_many))

    task = create["body"]
    once = dict(create, body={**task, "scheduleDetails": {**task["scheduleDetails"], "recurrenceType": "once"}})
    assert any("recurrenceType: once" in problem for problem in call_problems(once))
    extra = dict(create, body={**task, "priority": "high"})
    assert any("Unrecognized field priority" in problem for problem in call_problems(extra))
    wrong_type = dict(create, body={**task, "runNow": "yes"})
    assert any("runNow must be of type bool" in problem for problem in call_problems(wrong_type))
    wrong_route = dict(create, path="/api/scheduledtasks/run")
    assert "no such SDK operation" in " ".join(call_problems(wrong_route))

    renamed = dict(search, answer={"computers": [{**search["answer"]["computers"][0], "hostname": "x"}]})
    assert any("Unrecognized field computers[0].hostname" in problem for problem in call_problems(renamed))
    status = {"agentStatus": "green"}
    drifted = dict(search, answer={"computers": [{**search["answer"]["computers"][0], "computerStatus": status}]})
    assert any("Invalid value for" in problem and "green" in problem for problem in call_problems(drifted))
    bad_error = dict(create, status=500, answer={"error": "boom"})
    assert "not the API's error shape" in " ".join(call_problems(bad_error))
