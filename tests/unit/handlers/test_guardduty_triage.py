from __future__ import annotations

from typing import Any

import pytest
from support.handler_samples import sample_event, triage, with_detail

from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Decision

SAMPLES_ON = {"guardduty": {"include_samples": True}}


def ec2_event() -> Event:
    """The canary sample turned into a real (non-test) finding type."""
    return with_detail(
        sample_event("guardduty-canary-ec2-1.json"), lambda d: d.update(type="UnauthorizedAccess:EC2/SSHBruteForce")
    )


def test_a_finding_without_an_id_is_keyed_on_the_envelope_id() -> None:
    verdict = triage(sample_event("guardduty-ssh-bruteforce-1.json"), SAMPLES_ON)

    assert verdict.decision is Decision.HANDLE
    assert verdict.finding_key == (
        "guardduty:123456789012:us-east-1:decc2a7f-62f4-581d-93bd-084d4d4d430b:2018-05-11T14:56:39Z"
    )


def test_the_key_names_the_affected_account_not_the_receiving_one() -> None:
    event = sample_event("guardduty-backdoor-ccactivity-dns-1.json")
    assert event.account == "101010101111"

    verdict = triage(event, SAMPLES_ON)

    assert verdict.targets.account == "883606788610"
    assert (
        verdict.finding_key == "guardduty:883606788610:us-east-1:b4b01b60fc24a199139f8f5f490edd81:2017-12-08T15:32:49Z"
    )


def test_an_update_of_the_same_finding_gets_a_new_key() -> None:
    event = ec2_event()
    later = with_detail(event, lambda detail: detail.update(updatedAt="2017-11-01T05:00:00.000Z"))

    assert triage(event).finding_key != triage(later).finding_key


def test_an_attacking_instance_is_handled_too() -> None:
    verdict = triage(sample_event("guardduty-backdoor-dos-tcp-1.json"), SAMPLES_ON)

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.instance_ids == ("i-99999999",)


def test_fake_instance_details_on_an_iam_finding_do_not_make_it_an_ec2_finding() -> None:
    verdict = triage(sample_event("guardduty-iamuser-maliciousip-1.json"), {"guardduty": {"include_samples": True}})

    assert verdict.decision is Decision.SKIP
    assert verdict.targets.instance_ids == ()


@pytest.mark.parametrize(
    ("policy", "decision", "reason"),
    [
        ({}, Decision.HANDLE, "severity 5"),
        ({"min_severity": 5}, Decision.HANDLE, "severity 5"),
        ({"min_severity": 7}, Decision.SKIP, "severity 5 is below min_severity 7"),
    ],
)
def test_min_severity(policy: dict[str, Any], decision: Decision, reason: str) -> None:
    verdict = triage(ec2_event(), {"guardduty": policy})

    assert verdict.decision is decision
    assert reason in verdict.reason


@pytest.mark.parametrize(("policy", "decision"), [({}, Decision.SKIP), ({"include_archived": True}, Decision.HANDLE)])
def test_archived_findings_follow_the_policy(policy: dict[str, Any], decision: Decision) -> None:
    event = with_detail(ec2_event(), lambda d: d["service"].update(archived=True))

    verdict = triage(event, {"guardduty": policy})

    assert verdict.decision is decision
    if decision is Decision.SKIP:
        assert "archived (include_archived = false)" in verdict.reason


def test_a_container_finding_without_an_ec2_host_is_skipped() -> None:
    event = with_detail(
        sample_event("guardduty-runtime-dockersocket-1.json"), lambda d: d["resource"].pop("instanceDetails")
    )

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert "container with no EC2 host" in verdict.reason


def test_an_instance_finding_without_an_instance_id_is_skipped() -> None:
    event = with_detail(ec2_event(), lambda d: d["resource"]["instanceDetails"].pop("instanceId"))

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert "names no instance id" in verdict.reason


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["resource"].update(resourceType=7), "detail.resource.resourceType is a JSON number, not a string"),
        (lambda d: d.update(resource=[]), "detail.resource is a JSON array, not an object"),
        (lambda d: d.update(severity="HIGH"), "detail.severity is a JSON string, not a number"),
        (lambda d: d.update(severity=True), "detail.severity is a JSON boolean, not a number"),
        (lambda d: d["service"].update(archived="no"), "detail.service.archived is a JSON string, not a boolean"),
    ],
)
def test_wrong_types_are_rejected_with_the_path(edit: Any, reason: str) -> None:
    event = with_detail(ec2_event(), edit)

    verdict = triage(event)

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason


def test_the_canary_test_finding_is_skipped_like_a_sample() -> None:
    verdict = triage(sample_event("guardduty-canary-ec2-1.json"))

    assert verdict.decision is Decision.SKIP
    assert verdict.reason == (
        "GuardDuty Canary:EC2/Stateless.IntegTest is a test (Canary) finding (include_samples = false)"
    )
    assert triage(sample_event("guardduty-canary-ec2-1.json"), SAMPLES_ON).decision is Decision.HANDLE


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.pop("resource"), "names no resource, so it cannot be about an EC2 instance"),
        (lambda d: d.update(resource=None), "names no resource"),
        (lambda d: d.clear(), "GuardDuty finding names no resource"),
        (lambda d: d["resource"].update(resourceType="S3Bucket", instanceDetails=None), "type S3Bucket, not an EC2"),
        (lambda d: d["resource"].update(instanceDetails=None), "on an Instance names no instance id"),
    ],
)
def test_findings_that_lack_optional_sections_are_skipped_with_the_reason(edit: Any, reason: str) -> None:
    verdict = triage(with_detail(ec2_event(), edit))

    assert verdict.decision is Decision.SKIP
    assert reason in verdict.reason


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["service"].update(evidence=None),
        lambda d: d.update(updatedAt="REDACTED"),
        lambda d: d.update(updatedAt=None, createdAt=None),
        lambda d: d.pop("severity"),
    ],
)
def test_an_ec2_finding_with_null_or_redacted_optional_fields_is_still_handled(edit: Any) -> None:
    verdict = triage(with_detail(ec2_event(), edit))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.instance_ids == ("i-05746eb48123455e0",)


def test_an_eks_runtime_finding_that_names_its_node_acts_on_the_node() -> None:
    def on_eks(detail: dict[str, Any]) -> None:
        detail["resource"]["resourceType"] = "EKSCluster"
        detail["resource"]["eksClusterDetails"] = {"name": "prod", "arn": "arn:aws:eks:us-east-1:1:cluster/prod"}
        detail["service"]["featureName"] = "RuntimeMonitoring"

    verdict = triage(with_detail(sample_event("guardduty-runtime-dockersocket-1.json"), on_eks))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.instance_ids == ("i-abcd1234",)


def test_an_ecs_runtime_finding_that_names_its_node_acts_on_the_node() -> None:
    def on_ecs(detail: dict[str, Any]) -> None:
        detail["resource"]["resourceType"] = "ECSCluster"
        detail["resource"]["ecsClusterDetails"] = {"name": "jobs", "taskDetails": {"launchType": "EC2"}}

    verdict = triage(with_detail(sample_event("guardduty-runtime-dockersocket-1.json"), on_ecs))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.instance_ids == ("i-abcd1234",)


def test_an_eks_audit_log_finding_without_a_node_is_still_skipped() -> None:
    verdict = triage(sample_event("guardduty-eks-anonymous-1.json"))

    assert verdict.decision is Decision.SKIP
    assert "type EKSCluster, not an EC2 instance" in verdict.reason


def test_an_attack_sequence_acts_on_the_instances_it_lists() -> None:
    def attack_sequence(detail: dict[str, Any]) -> None:
        detail["type"] = "AttackSequence:EC2/CompromisedInstanceGroup"
        detail["resource"] = {"resourceType": "AttackSequence"}
        detail["service"]["detection"] = {
            "sequence": {
                "uid": "seq-1",
                "description": "compromised instances",
                "signals": [],
                "resources": [
                    {"uid": "i-0aaaaaaaaaaaaaaa1", "resourceType": "EC2_INSTANCE"},
                    {"uid": "arn:aws:s3:::logs", "resourceType": "S3_BUCKET"},
                    {
                        "uid": "asg-web",
                        "resourceType": "AUTOSCALING_AUTO_SCALING_GROUP",
                        "data": {"autoscalingAutoScalingGroup": {"ec2InstanceUids": ["i-0bbbbbbbbbbbbbbb2"]}},
                    },
                ],
            }
        }

    verdict = triage(with_detail(ec2_event(), attack_sequence))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.instance_ids == ("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2")


def test_an_attack_sequence_without_ec2_instances_is_skipped() -> None:
    def credentials(detail: dict[str, Any]) -> None:
        detail["type"] = "AttackSequence:IAM/CompromisedCredentials"
        detail["resource"] = {"resourceType": "AttackSequence"}
        detail["service"]["detection"] = {"sequence": {"resources": [{"uid": "AKIA1", "resourceType": "ACCESS_KEY"}]}}

    verdict = triage(with_detail(ec2_event(), credentials))

    assert verdict.decision is Decision.SKIP
    assert "type AttackSequence, not an EC2 instance" in verdict.reason
