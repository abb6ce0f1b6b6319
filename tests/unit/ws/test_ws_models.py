"""Typed models read the API's JSON (reference examples), tolerating fields they do not know."""

from __future__ import annotations

import pytest

from wsbridge.consumer.workload_security import Computer, IpsAssignments, IpsRule, Policy, protection_verdict
from wsbridge.consumer.workload_security.models import ws_alias

REFERENCE_COMPUTERS = {
    "computers": [
        {
            "ID": 1,
            "hostName": "ec2-54-187-35-33.us-west-2.compute.amazonaws.com",
            "displayName": "",
            "policyID": 3,
            "groupID": 0,
            "agentVersion": "11.1.0.163",
            "agentFingerPrint": "F9:51:4E:28",
            "lastAgentCommunication": 1587565628816,
            "computerStatus": {"agentStatus": "active", "agentStatusMessages": ["Managed (Online)"]},
            "noConnectorVirtualMachineSummary": {
                "accountID": "147995105371",
                "instanceID": "i-001bb8900eca9b6fd",
                "region": "us-west-2",
            },
            "antiMalware": {
                "state": "on",
                "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Real Time"},
                "realTimeScanConfigurationID": 1,
            },
            "intrusionPrevention": {
                "state": "prevent",
                "ruleIDs": [4783, 5892],
                "applicationTypeIDs": [261, 308],
                "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Prevent, 2 rules"},
            },
            "integrityMonitoring": {
                "state": "real-time",
                "ruleIDs": [10],
                "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Real Time, 1 rule"},
            },
            "someFutureField": {"x": 1},
        },
        {
            "ID": 34,
            "hostName": "172.31.121.120",
            "displayName": "i-075776bd5b0b322aa",
            "groupID": 79,
            "agentVersion": "0.0.0.0",
            "computerStatus": {"agentStatus": "inactive", "agentStatusMessages": ["Unmanaged (Unknown)"]},
            "ec2VirtualMachineSummary": {
                "cloudProvider": "AWS",
                "accountID": "697977203433",
                "instanceID": "i-075776bd5b0b322aa",
                "availabilityZone": "us-east-1a",
                "type": "t2.nano",
                "state": "POWER ON",
                "amiID": "ami-0323c3dd2da7fb37d",
                "securityGroups": [{"name": "launch-wizard-1", "ID": "sg-0b9fe32fbed78e140"}],
            },
            "antiMalware": {
                "state": "off",
                "moduleStatus": {"agentStatus": "inactive", "agentStatusMessage": "Not Activated"},
                "realTimeScanConfigurationID": 0,
            },
        },
    ]
}


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("id", "ID"),
        ("policy_id", "policyID"),
        ("depends_on_rule_ids", "dependsOnRuleIDs"),
        ("recommended_to_assign_rule_ids", "recommendedToAssignRuleIDs"),
        ("cve", "CVE"),
        ("cvss_score", "CVSSScore"),
        ("last_ip_used", "lastIPUsed"),
        ("ec2_virtual_machine_summary", "ec2VirtualMachineSummary"),
        ("real_time_scan_configuration_id", "realTimeScanConfigurationID"),
        ("agent_status_messages", "agentStatusMessages"),
    ],
)
def test_aliases_follow_the_api_spelling(name: str, alias: str) -> None:
    assert ws_alias(name) == alias


def test_the_reference_computers_parse() -> None:
    agent, connector = (Computer.model_validate(c) for c in REFERENCE_COMPUTERS["computers"])
    assert agent.instance_id == "i-001bb8900eca9b6fd" and agent.has_policy
    assert agent.intrusion_prevention is not None and agent.intrusion_prevention.rule_ids == [4783, 5892]
    assert protection_verdict(agent).protected
    assert connector.policy_id is None and not connector.has_policy, "no policyID key at all"
    assert connector.instance_id == "i-075776bd5b0b322aa"
    assert connector.ec2_virtual_machine_summary is not None
    assert connector.ec2_virtual_machine_summary.availability_zone == "us-east-1a"
    verdict = protection_verdict(connector)
    assert not verdict.managed and "no activated agent (Unmanaged (Unknown))" in verdict.reasons


def test_models_are_immutable() -> None:
    computer = Computer.model_validate(REFERENCE_COMPUTERS["computers"][0])
    with pytest.raises(ValueError):
        computer.policy_id = 9  # type: ignore[misc]


def test_ips_rule_cve_membership_is_exact() -> None:
    rule = IpsRule.model_validate({"ID": 1, "CVE": ["CVE-2022-40982", "CVE-2021-44228"], "CVSSScore": 6.5})
    assert rule.covers("cve-2022-40982") and rule.covers(" CVE-2021-44228 ")
    assert not rule.covers("CVE-2022-4098")
    assert rule.cvss_score == "6.5"
    assert IpsRule.model_validate({"ID": 2, "CVE": None}).cve == []


def test_reference_assignment_answer_parses() -> None:
    answer = {
        "assignedRuleIDs": [108, 2874, 2875, 2876, 3317, 3318, 6745],
        "assignedApplicationTypeIDs": [],
        "recommendationScanStatus": "valid",
        "lastRecommendationScanDate": 1562702362438,
        "recommendedToAssignRuleIDs": [],
        "recommendedToUnassignRuleIDs": [],
    }
    parsed = IpsAssignments.model_validate(answer)
    assert parsed.assigned_rule_ids[1] == 2874 and parsed.last_recommendation_scan_date == 1562702362438


def test_policy_settings() -> None:
    policy = Policy.model_validate(
        {
            "ID": 71,
            "name": "Web",
            "policySettings": {"intrusionPreventionSettingAutoApplyRecommendationsEnabled": {"value": "Yes"}},
        }
    )
    assert policy.setting("intrusionPreventionSettingAutoApplyRecommendationsEnabled") == "Yes"
    assert policy.setting("missing") is None
