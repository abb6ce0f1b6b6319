from __future__ import annotations

from typing import Any

import pytest
from support.handler_samples import sample_event, triage, with_detail

from wsbridge.consumer.handler import Decision

SAMPLES_ON = {"guardduty": {"include_samples": True}}


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
    event = sample_event("guardduty-canary-ec2-1.json")
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
    verdict = triage(sample_event("guardduty-canary-ec2-1.json"), {"guardduty": policy})

    assert verdict.decision is decision
    assert reason in verdict.reason


@pytest.mark.parametrize(("policy", "decision"), [({}, Decision.SKIP), ({"include_archived": True}, Decision.HANDLE)])
def test_archived_findings_follow_the_policy(policy: dict[str, Any], decision: Decision) -> None:
    event = with_detail(sample_event("guardduty-canary-ec2-1.json"), lambda d: d["service"].update(archived=True))

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


def test_an_instance_finding_without_an_instance_id_is_rejected() -> None:
    event = with_detail(
        sample_event("guardduty-canary-ec2-1.json"), lambda d: d["resource"]["instanceDetails"].pop("instanceId")
    )

    verdict = triage(event)

    assert verdict.decision is Decision.REJECT
    assert "names no instance id" in verdict.reason


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["resource"].update(resourceType=7), "detail.resource.resourceType is a JSON number, not a string"),
        (lambda d: d.update(resource=[]), "detail.resource is a JSON array, not an object"),
        (lambda d: d.update(severity="HIGH"), "detail.severity is a JSON string, not a number"),
        (lambda d: d.update(severity=True), "detail.severity is a JSON boolean, not a number"),
        (lambda d: d.pop("severity"), "detail.severity is missing"),
        (lambda d: d["service"].update(archived="no"), "detail.service.archived is a JSON string, not a boolean"),
        (
            lambda d: d["resource"]["instanceDetails"].update(instanceId=None),
            "names no instance id",
        ),
    ],
)
def test_wrong_types_are_rejected_with_the_path(edit: Any, reason: str) -> None:
    event = with_detail(sample_event("guardduty-canary-ec2-1.json"), edit)

    verdict = triage(event)

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason
