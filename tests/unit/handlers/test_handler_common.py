from __future__ import annotations

import pytest

from wsbridge.consumer.actions import AssignIpsRules, Notify, RunIntegrityScan, RunMalwareScan, RunRecommendationScan
from wsbridge.consumer.workload_security import ModuleVerdict, ProtectionVerdict
from wsbridge.handlers._shared.identifiers import bucket_from, finding_id_from, instance_id_from
from wsbridge.handlers._shared.plans import unique
from wsbridge.handlers._shared.policy import load_policy
from wsbridge.handlers._shared.times import canonical_time
from wsbridge.handlers.guardduty.finding import GuardDutyPolicy
from wsbridge.handlers.guardduty.plan import guardduty_scans
from wsbridge.handlers.inspector.finding import InspectorPolicy
from wsbridge.handlers.inspector.plan import ips_assignment


@pytest.mark.parametrize(
    ("resource_id", "instance_id"),
    [
        ("arn:aws:ec2:us-east-1:193043430472:instance/i-0c10c2c7863d1a356", "i-0c10c2c7863d1a356"),
        ("arn:aws::ec2:us-east-1:193043430472:instance/i-0c10c2c7863d1a356", "i-0c10c2c7863d1a356"),
        ("i-07b035550fa86717d", "i-07b035550fa86717d"),
        ("arn:aws:ec2:us-east-1:1:instance/", None),
        ("AWS::IAM::AccessKey:AKIA", None),
    ],
)
def test_instance_ids_are_the_text_after_instance_slash(resource_id: str, instance_id: str | None) -> None:
    assert instance_id_from(resource_id) == instance_id


def test_bucket_and_finding_ids_from_arns() -> None:
    assert bucket_from("arn:aws:s3:::whizlabs.183836.81670451") == "whizlabs.183836.81670451"
    assert bucket_from("arn:aws:s3:::bucket/key with spaces.csv") == "bucket"
    assert finding_id_from("arn:aws::guardduty:us-east-1:1:detector/d/finding/46ba") == "46ba"
    assert finding_id_from("inspector/us-east-1/111122223333/629f") == "inspector/us-east-1/111122223333/629f"


@pytest.mark.parametrize(
    "text",
    [
        "Wed Sep 04 16:59:44.356 UTC 2024",
        "Wed Sep 04 16:59:44 UTC 2024",
        "Sep 4, 2024, 4:59:44 PM",
        "2024-09-04T16:59:44.356Z",
        "2024-09-04T18:59:44+02:00",
        "2024-09-04T16:59:44",
    ],
)
def test_every_timestamp_spelling_has_one_canonical_form(text: str) -> None:
    assert canonical_time(text) == "2024-09-04T16:59:44Z"


@pytest.mark.parametrize("text", ["", "not a time", "0001-01-01T00:00:00+01:00"])
def test_unparseable_timestamps_are_kept(text: str) -> None:
    assert canonical_time(text) == text


def protected_verdict(computer_id: int) -> ProtectionVerdict:
    running = ModuleVerdict("on", "active", None, True)
    modules = {"anti_malware": running, "integrity_monitoring": running}
    return ProtectionVerdict(computer_id, True, True, True, modules, (), online=True)


@pytest.mark.parametrize(
    ("finding_type", "malware"),
    [
        ("Backdoor:EC2/C&CActivity.B!DNS", True),
        ("CryptoCurrency:EC2/BitcoinTool.B!DNS", True),
        ("Trojan:EC2/BlackholeTraffic!DNS", True),
        ("UnauthorizedAccess:EC2/SSHBruteForce", False),
    ],
)
def test_a_protected_instance_is_scanned_and_malware_families_add_a_malware_scan(
    finding_type: str, malware: bool
) -> None:
    actions = guardduty_scans(protected_verdict(42), finding_type, load_policy(GuardDutyPolicy, {}))

    assert actions[:2] == [RunRecommendationScan(42, apply=True), RunIntegrityScan(42)]
    assert (RunMalwareScan(42) in actions) is malware


def test_a_plan_keeps_the_first_action_of_each_coalescing_key() -> None:
    first = Notify("t", "first", dedupe_key="k")
    actions = [
        RunIntegrityScan(1),
        first,
        RunIntegrityScan(1),
        Notify("t", "second", dedupe_key="k"),
        RunIntegrityScan(2),
    ]

    assert unique(actions) == [RunIntegrityScan(1), first, RunIntegrityScan(2)]


@pytest.mark.parametrize(
    ("assign_to", "policy_id", "expected"),
    [
        ("policy", 7, AssignIpsRules((1, 2), policy_id=7, cve="CVE-1")),
        ("policy", None, AssignIpsRules((1, 2), computer_id=42, cve="CVE-1")),
        ("computer", 7, AssignIpsRules((1, 2), computer_id=42, cve="CVE-1")),
    ],
)
def test_ips_rules_go_where_assign_to_says(assign_to: str, policy_id: int | None, expected: AssignIpsRules) -> None:
    policy = load_policy(InspectorPolicy, {"assign_to": assign_to})

    assert ips_assignment([2, 1, 2], "CVE-1", policy, policy_id=policy_id, computer_id=42) == expected


def test_no_covering_rules_means_no_assignment() -> None:
    assert ips_assignment([], "CVE-1", load_policy(InspectorPolicy, {}), policy_id=7, computer_id=42) is None
