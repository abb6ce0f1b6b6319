from __future__ import annotations

import copy
from typing import Any

import pytest
from support.handler_samples import sample_event, triage, with_detail

from wsbridge.consumer.handler import Decision


def as_instance(detail: dict[str, Any]) -> None:
    detail.update(resourceType="AWS::EC2::Instance", resourceId="i-0123456789abcdef0")
    qualifier = detail["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
    qualifier.update(resourceType="AWS::EC2::Instance", resourceId="i-0123456789abcdef0")


def test_a_compliance_change_of_an_instance_is_read_and_skipped_because_nothing_answers_config() -> None:
    verdict = triage(with_detail(sample_event("config-compliance-ebsvolume-1.json"), as_instance))

    assert verdict.decision is Decision.SKIP
    assert verdict.reason.endswith(
        "volumes-prod-tags: i-0123456789abcdef0 is now NON_COMPLIANT; wsbridge does not answer AWS Config yet"
    )
    assert verdict.targets.instance_ids == ("i-0123456789abcdef0",)


def test_older_compliance_events_name_the_resource_only_in_the_qualifier() -> None:
    def older(detail: dict[str, Any]) -> None:
        as_instance(detail)
        del detail["resourceType"], detail["resourceId"]

    verdict = triage(with_detail(sample_event("config-compliance-ebsvolume-1.json"), older))

    assert "i-0123456789abcdef0 is now NON_COMPLIANT" in verdict.reason
    assert verdict.targets.instance_ids == ("i-0123456789abcdef0",)


def test_a_deleted_instance_is_skipped() -> None:
    event = with_detail(
        sample_event("config-cichange-ec2-1.json"),
        lambda d: d["configurationItem"].update(configurationItemStatus="ResourceDeleted"),
    )

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert "was deleted" in verdict.reason


def test_an_oversized_item_change_uses_the_summary() -> None:
    summary = sample_event("config-ruleinvoked-oversized-1.json").detail["invokingEvent"]

    def oversized(detail: dict[str, Any]) -> None:
        detail.clear()
        detail.update(copy.deepcopy(summary))

    event = with_detail(sample_event("config-cichange-ec2-1.json"), oversized)

    verdict = triage(event)

    assert "configuration of i-00000000" in verdict.reason
    assert verdict.targets.instance_ids == ("i-00000000",)


def test_an_instance_that_left_the_rules_scope_is_named_in_the_reason() -> None:
    event = with_detail(sample_event("config-ruleinvoked-ec2-2.json"), lambda d: d.update(eventLeftScope=True))

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert "i-00000000 left the rule's scope" in verdict.reason


def test_a_rule_invocation_for_another_resource_type_is_skipped() -> None:
    def to_bucket(detail: dict[str, Any]) -> None:
        detail["invokingEvent"]["configurationItem"].update(resourceType="AWS::S3::Bucket", resourceId="b")

    verdict = triage(with_detail(sample_event("config-ruleinvoked-ec2-2.json"), to_bucket))

    assert verdict.decision is Decision.SKIP
    assert "AWS::S3::Bucket, not an EC2 instance" in verdict.reason


@pytest.mark.parametrize(
    ("name", "edit", "reason"),
    [
        ("config-ruleinvoked-ec2-2.json", lambda d: d.update(resultToken=None), "detail.resultToken is missing"),
        (
            "config-ruleinvoked-ec2-2.json",
            lambda d: d["invokingEvent"].update(messageType="Nonsense"),
            "messageType 'Nonsense' is not supported",
        ),
        ("config-ruleinvoked-ec2-2.json", lambda d: d.update(eventLeftScope="yes"), "is a JSON string, not a boolean"),
        ("config-cichange-ec2-1.json", lambda d: d.update(configurationItem=[]), "is a JSON array, not an object"),
        (
            "config-compliance-iamuser-1.json",
            lambda d: d.update(resourceType=1),
            "detail.resourceType is a JSON number",
        ),
    ],
)
def test_wrong_shapes_are_rejected(name: str, edit: Any, reason: str) -> None:
    verdict = triage(with_detail(sample_event(name), edit))

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason
