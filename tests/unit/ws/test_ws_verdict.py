"""The protection verdict: one function decides, for every handler."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from wsbridge.consumer.workload_security import Computer, Policy, protection_verdict

PROTECTED: dict[str, Any] = {
    "ID": 7,
    "hostName": "web",
    "policyID": 2,
    "agentFingerPrint": "AA:BB",
    "computerStatus": {"agentStatus": "active", "agentStatusMessages": ["Managed (Online)"]},
    "antiMalware": {"state": "on", "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Real Time"}},
    "intrusionPrevention": {
        "state": "prevent",
        "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Prevent, 2 rules"},
    },
    "integrityMonitoring": {
        "state": "real-time",
        "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On, Real Time, 1 rule"},
    },
    "webReputation": {"state": "on", "moduleStatus": {"agentStatus": "active", "agentStatusMessage": "On"}},
    "firewall": {"state": "off", "moduleStatus": {"agentStatus": "inactive", "agentStatusMessage": "Off, installed"}},
}


def computer(**changes: Any) -> Computer:
    data = copy.deepcopy(PROTECTED)
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return Computer.model_validate(data)


def test_a_fully_protected_computer() -> None:
    verdict = protection_verdict(computer())
    assert verdict.protected and verdict.reasons == []
    assert verdict.managed and verdict.agent_active and verdict.clear
    assert verdict.anti_malware and verdict.intrusion_prevention and verdict.integrity_monitoring
    assert verdict.web_reputation and not verdict.firewall, "firewall is off but not required"
    assert verdict.intrusion_prevention_mode == "prevent"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"agentFingerPrint": None}, "no activated agent (Managed (Online))"),
        (
            {"computerStatus": {"agentStatus": "inactive", "agentStatusMessages": ["Unmanaged (Unknown)"]}},
            "no activated agent (Unmanaged (Unknown))",
        ),
        (
            {"computerStatus": {"agentStatus": "error", "agentStatusMessages": ["Managed (Offline)"]}},
            "agent status is error: Managed (Offline)",
        ),
        ({"antiMalware__state": "off"}, "anti malware is off"),
        (
            {"antiMalware__moduleStatus__agentStatusMessage": "On, Scheduled"},
            "anti malware is not real-time (On, Scheduled)",
        ),
        ({"intrusionPrevention__state": "detect"}, "intrusion prevention is in detect mode, not prevent"),
        (
            {"integrityMonitoring__moduleStatus": {"agentStatus": "inactive", "agentStatusMessage": "Not Activated"}},
            "integrity monitoring is not active (Not Activated)",
        ),
        ({"integrityMonitoring": None}, "integrity monitoring is not reported"),
    ],
)
def test_each_gap_makes_it_unprotected_and_is_named(changes: dict[str, Any], reason: str) -> None:
    verdict = protection_verdict(computer(**changes))
    assert not verdict.protected
    assert reason in verdict.reasons


def test_warnings_on_a_module_that_is_on_mean_not_clear() -> None:
    message = {"agentStatus": "warning", "agentStatusMessage": "On, Real Time, Pattern Out-of-Date"}
    verdict = protection_verdict(computer(webReputation__moduleStatus=message))
    assert not verdict.clear and not verdict.protected
    assert verdict.reasons == ["web reputation reports warning: On, Real Time, Pattern Out-of-Date"]


def test_a_warning_on_a_module_that_is_off_does_not_count() -> None:
    message = {"agentStatus": "warning", "agentStatusMessage": "Off, not installed"}
    assert protection_verdict(computer(firewall__moduleStatus=message)).protected


def test_on_security_update_in_progress_real_time_still_counts() -> None:
    message = "On, Security Update In Progress, Real Time"
    assert protection_verdict(computer(antiMalware__moduleStatus__agentStatusMessage=message)).anti_malware


def test_required_modules_can_be_chosen() -> None:
    unprotected_firewall = computer()
    assert not protection_verdict(unprotected_firewall, required=("firewall",)).protected
    ips_only = computer(antiMalware__state="off", integrityMonitoring__state="off")
    assert protection_verdict(ips_only, required=("intrusion_prevention",)).protected


def test_the_policy_fills_in_a_state_the_computer_record_lacks() -> None:
    bare = computer(intrusionPrevention=None)
    policy = Policy.model_validate({"ID": 2, "name": "Web", "intrusionPrevention": {"state": "detect"}})
    verdict = protection_verdict(bare, policy)
    assert verdict.intrusion_prevention_mode == "detect"
    assert "intrusion prevention is not active (no status)" in verdict.reasons


@pytest.mark.parametrize(
    ("changes", "grade", "scans"),
    [
        ({}, "full", {"recommendation", "integrity", "malware"}),
        (
            {"integrityMonitoring__state": "on", "integrityMonitoring__moduleStatus__agentStatusMessage": "On"},
            "partial",
            {"recommendation", "integrity", "malware"},
        ),
        ({"intrusionPrevention__state": "detect"}, "partial", {"recommendation", "integrity", "malware"}),
        ({"antiMalware__state": "off"}, "partial", {"recommendation", "integrity"}),
        (
            {"computerStatus": {"agentStatus": "inactive", "agentStatusMessages": ["Managed (Offline)"]}},
            "unreachable",
            set(),
        ),
        ({"agentFingerPrint": None}, "unreachable", set()),
    ],
)
def test_protection_is_graded_and_a_reachable_agent_runs_the_scans_its_modules_support(
    changes: dict[str, Any], grade: str, scans: set[str]
) -> None:
    verdict = protection_verdict(computer(**changes))

    assert verdict.grade == grade
    assert {kind for kind in ("recommendation", "integrity", "malware") if verdict.can_scan(kind)} == scans
