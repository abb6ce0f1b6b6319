"""Trend's SDK drives every sandbox route the client and the tests use; each answer is checked like the client's."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import deepsecurity as ds
import pytest
from contract import sdk
from contract.checks import call_problems
from deepsecurity.rest import ApiException

V1 = "v1"
EXPAND = ds.Expand(ds.Expand.computer_status, ds.Expand.intrusion_prevention, ds.Expand.computer_settings).list()


def admin(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + "/_sandbox/" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def sdk_client(sandbox_url: str, sandbox_seed: None) -> Iterator[ds.ApiClient]:
    configuration = ds.Configuration()
    configuration.host = sandbox_url + "/api"
    configuration.api_key["api-secret-key"] = "sandbox-key"
    admin(sandbox_url, "POST", "reset")
    yield ds.ApiClient(configuration)


@pytest.fixture
def sandbox_seed(sandbox_url: str) -> None:
    from integration.ws.conftest import SEED

    admin(sandbox_url, "POST", "seed", json.loads(SEED.read_text()))


def task(name: str, kind: str, key: str, parameters: Any) -> ds.ScheduledTask:
    return ds.ScheduledTask(
        name=name,
        type=kind,
        run_now=True,
        schedule_details=ds.ScheduleDetails(
            recurrence_type="none",
            recurrence_count=1,
            once_only_schedule_parameters=ds.OnceOnlyScheduleParameters(start_time=0),
        ),
        **{key: parameters},
    )


def sdk_calls(client: ds.ApiClient) -> list[Callable[[], Any]]:
    """One SDK call per operation the client or the tests use, plus the five the sandbox added."""
    computers = ds.ComputersApi(client)
    policies = ds.PoliciesApi(client)
    rules = ds.IntrusionPreventionRulesApi(client)
    types = ds.ApplicationTypesApi(client)
    tasks = ds.ScheduledTasksApi(client)
    computer_ips = ds.ComputerIntrusionPreventionRuleAssignmentsRecommendationsApi(client)
    computer_im = ds.ComputerIntegrityMonitoringRuleAssignmentsRecommendationsApi(client)
    computer_li = ds.ComputerLogInspectionRuleAssignmentsRecommendationsApi(client)
    policy_ips = ds.PolicyIntrusionPreventionRuleAssignmentsRecommendationsApi(client)
    by_instance = ds.SearchCriteria(
        field_name="ec2VirtualMachineSummary/instanceID", string_test="equal", string_value="i-%", string_wildcards=True
    )
    version = ds.SearchCriteria(field_name="agentVersion", version_test="greater-than", version_value="12.0")
    auto_apply = "intrusionPreventionSettingAutoApplyRecommendationsEnabled"
    scan = ds.ComputerFilter(type="computer", computer_id=1)
    return [
        lambda: computers.search_computers(
            V1, search_filter=ds.SearchFilter(search_criteria=[by_instance]), expand=EXPAND
        ),
        lambda: computers.search_computers(V1, search_filter=ds.SearchFilter(max_items=2, search_criteria=[version])),
        lambda: computers.list_computers(V1, expand=[ds.Expand.none]),
        lambda: computers.describe_computer(1, V1, expand=EXPAND),
        lambda: computers.describe_computer(2, V1, overrides=True),
        lambda: computers.modify_computer(4, ds.Computer(description="legacy"), V1, expand=[ds.Expand.none]),
        lambda: computers.describe_computer_setting(1, auto_apply, V1),
        lambda: computers.modify_computer_setting(1, auto_apply, ds.SettingValue(value="Yes"), V1),
        lambda: computers.reset_computer_setting(1, auto_apply, V1),
        lambda: computer_ips.list_intrusion_prevention_rule_ids_on_computer(1, V1),
        lambda: computer_ips.add_intrusion_prevention_rule_ids_to_computer(
            4, V1, intrusion_prevention_rule_ids=ds.RuleIDs(rule_ids=[2874])
        ),
        lambda: computer_ips.set_intrusion_prevention_rule_ids_on_computer(
            4, V1, intrusion_prevention_rule_ids=ds.RuleIDs(rule_ids=[2874, 4305])
        ),
        lambda: computer_ips.remove_intrusion_prevention_rule_id_from_computer(4, 4305, V1),
        lambda: computer_im.list_integrity_monitoring_rule_ids_on_computer(2, V1),
        lambda: computer_im.add_integrity_monitoring_rule_ids_to_computer(
            2, V1, integrity_monitoring_rule_ids=ds.RuleIDs(rule_ids=[7002])
        ),
        lambda: computer_im.remove_integrity_monitoring_rule_id_from_computer(2, 7004, V1),
        lambda: computer_li.list_log_inspection_rule_ids_on_computer(2, V1, overrides=True),
        lambda: computer_li.add_log_inspection_rule_ids_to_computer(
            2, V1, log_inspection_rule_ids=ds.RuleIDs(rule_ids=[8002])
        ),
        lambda: computer_li.remove_log_inspection_rule_id_from_computer(2, 8003, V1),
        lambda: policies.search_policies(
            V1,
            search_filter=ds.SearchFilter(search_criteria=[ds.SearchCriteria(field_name="name", string_value="Web%")]),
        ),
        lambda: policies.list_policies(V1),
        lambda: policies.describe_policy(2, V1),
        lambda: policies.describe_policy(3, V1, overrides=True),
        lambda: policies.modify_policy(4, ds.Policy(description="detect only"), V1),
        lambda: policies.describe_policy_setting(3, auto_apply, V1),
        lambda: policies.modify_policy_setting(1, auto_apply, ds.SettingValue(value="Yes"), V1),
        lambda: policies.reset_policy_setting(1, auto_apply, V1),
        lambda: policies.list_default_settings(V1),
        lambda: policies.describe_default_setting(auto_apply, V1),
        lambda: policies.modify_default_setting(auto_apply, ds.SettingValue(value="Yes"), V1),
        lambda: policies.modify_default_settings(ds.DefaultPolicySettings(), V1),
        lambda: policies.reset_default_setting(auto_apply, V1),
        lambda: policy_ips.list_intrusion_prevention_rule_ids_on_policy(2, V1),
        lambda: policy_ips.add_intrusion_prevention_rule_ids_to_policy(
            4, V1, intrusion_prevention_rule_ids=ds.RuleIDs(rule_ids=[4410])
        ),
        lambda: policy_ips.set_intrusion_prevention_rule_ids_on_policy(
            4, V1, intrusion_prevention_rule_ids=ds.RuleIDs(rule_ids=[1001, 4410])
        ),
        lambda: policy_ips.remove_intrusion_prevention_rule_id_from_policy(4, 4410, V1),
        lambda: rules.search_intrusion_prevention_rules(
            V1,
            search_filter=ds.SearchFilter(
                search_criteria=[ds.SearchCriteria(field_name="CVE", string_value="%CVE-2021-44228%")]
            ),
        ),
        lambda: rules.list_intrusion_prevention_rules(V1),
        lambda: rules.describe_intrusion_prevention_rule(2874, V1),
        lambda: types.search_application_types(V1, search_filter=ds.SearchFilter(max_items=3)),
        lambda: types.list_application_types(V1),
        lambda: types.describe_application_type(261, V1),
        lambda: tasks.create_scheduled_task(
            task(
                "reco",
                "scan-for-recommendations",
                "scan_for_recommendations_task_parameters",
                parameters=ds.ScanForRecommendationsTaskParameters(computer_filter=scan),
            ),
            V1,
        ),
        lambda: tasks.create_scheduled_task(
            task(
                "im",
                "scan-for-integrity-changes",
                "scan_for_integrity_changes_task_parameters",
                parameters=ds.ScanForIntegrityChangesTaskParameters(computer_filter=scan),
            ),
            V1,
        ),
        lambda: tasks.create_scheduled_task(
            task(
                "am",
                "scan-for-malware",
                "scan_for_malware_task_parameters",
                parameters=ds.ScanForMalwareTaskParameters(
                    computer_filter=ds.ComputerFilter(type="computers-in-smart-folder", smart_folder_id=1),
                    timeout="never",
                ),
            ),
            V1,
        ),
        lambda: tasks.create_scheduled_task(
            ds.ScheduledTask(name="users", type="synchronize-users", run_now=False), V1
        ),
        lambda: tasks.list_scheduled_tasks(V1),
        lambda: tasks.search_scheduled_tasks(
            V1,
            search_filter=ds.SearchFilter(
                search_criteria=[ds.SearchCriteria(field_name="name", string_value="users", string_wildcards=False)]
            ),
        ),
        lambda: tasks.describe_scheduled_task(4, V1),
        lambda: tasks.modify_scheduled_task(4, ds.ScheduledTask(run_now=True), V1),
        lambda: tasks.delete_scheduled_task(4, V1),
    ]


def test_the_sdk_drives_every_used_route_and_every_answer_matches_it(
    sandbox_url: str, sdk_client: ds.ApiClient
) -> None:
    calls = sdk_calls(sdk_client)
    for index, call in enumerate(calls):
        try:
            call()
        except ApiException as error:
            pytest.fail(f"SDK call {index} refused: {error.status} {error.body}")
    recorded = admin(sandbox_url, "GET", "calls")["calls"]
    assert len(recorded) == len(calls) and all(c["status"] in (200, 204) for c in recorded)
    assert [problem for call in recorded for problem in call_problems(call)] == []
    operations = {sdk.route_for(c["method"], c["path"].removeprefix("/api")).operation for c in recorded}  # type: ignore[union-attr]
    assert len(operations) == 45, "51 calls: some operations twice (searches, describes, four task creates)"


def test_the_sandboxs_copy_of_the_definition_is_the_sdks() -> None:
    assert sdk.SCHEMA_FILE.read_text(encoding="utf-8") == sdk.render(sdk.sandbox_schema()), (
        "regenerate it: python tests/contract/sdk.py"
    )
