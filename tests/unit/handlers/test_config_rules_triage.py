"""Config events, offline: which invocations are answered and how, and which changes lead to a scan."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support.handler_samples import event_from, sample_document, sample_event, triage, with_detail

from wsbridge.consumer.envelope import MalformedMessage, parse_body
from wsbridge.consumer.handler import Decision
from wsbridge.handlers.config_rules.invocation import Invocation

SCANS = {"config_rules": {"scan_when_noncompliant": True, "scan_when_exposure_changes": True}}


def as_instance(detail: dict[str, Any]) -> None:
    detail.update(resourceType="AWS::EC2::Instance", resourceId="i-0123456789abcdef0", configRuleName="wsbridge-x")
    qualifier = detail["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
    qualifier.update(resourceType="AWS::EC2::Instance", resourceId="i-0123456789abcdef0")


def invocation(name: str = "config-ruleinvoked-ec2-2.json", **top: Any) -> Invocation:
    document = sample_document(name)
    document.update(top)
    verdict = triage(parse_body(json.dumps(document)))
    assert verdict.decision is Decision.HANDLE, verdict.reason
    assert isinstance(verdict.finding, Invocation)
    return verdict.finding


def test_an_instance_turning_non_compliant_on_a_wsbridge_rule_is_scanned_when_the_policy_says_so() -> None:
    event = with_detail(sample_event("config-compliance-ebsvolume-1.json"), as_instance)

    default, scanning = triage(event), triage(event, SCANS)

    assert default.decision is Decision.SKIP
    assert default.reason.endswith("is now NON_COMPLIANT; set scan_when_noncompliant = true to scan it")
    assert scanning.decision is Decision.HANDLE
    assert scanning.targets.instance_ids == ("i-0123456789abcdef0",)


def test_other_rules_and_other_compliance_types_are_skipped() -> None:
    def other_rule(detail: dict[str, Any]) -> None:
        as_instance(detail)
        detail["configRuleName"] = "volumes-prod-tags"

    def compliant(detail: dict[str, Any]) -> None:
        as_instance(detail)
        detail["newEvaluationResult"]["complianceType"] = "COMPLIANT"

    foreign = triage(with_detail(sample_event("config-compliance-ebsvolume-1.json"), other_rule), SCANS)
    fine = triage(with_detail(sample_event("config-compliance-ebsvolume-1.json"), compliant), SCANS)

    assert (foreign.decision, fine.decision) == (Decision.SKIP, Decision.SKIP)
    assert "not a wsbridge rule (rule_prefix = 'wsbridge-')" in foreign.reason
    assert "is now COMPLIANT; only NON_COMPLIANT leads to a scan" in fine.reason


def test_older_compliance_events_name_the_resource_only_in_the_qualifier() -> None:
    def older(detail: dict[str, Any]) -> None:
        as_instance(detail)
        del detail["resourceType"], detail["resourceId"]

    verdict = triage(with_detail(sample_event("config-compliance-ebsvolume-1.json"), older))

    assert "i-0123456789abcdef0 is now NON_COMPLIANT" in verdict.reason
    assert verdict.targets.instance_ids == ("i-0123456789abcdef0",)


@pytest.mark.parametrize(
    ("changed", "what"),
    [
        ({"Configuration.SecurityGroups.0": {"changeType": "UPDATE"}}, "security groups"),
        ({"Configuration.IamInstanceProfile": {"changeType": "CREATE"}}, "instance profile"),
        (
            {"Relationships.1": {"previousValue": {"resourceType": "AWS::EC2::SecurityGroup"}, "changeType": "DELETE"}},
            "security groups",
        ),
    ],
)
def test_a_security_group_or_instance_profile_change_is_scanned_when_the_policy_says_so(
    changed: dict[str, Any], what: str
) -> None:
    event = with_detail(
        sample_event("config-cichange-ec2-1.json"),
        lambda d: d.update(configurationItemDiff={"changeType": "UPDATE", "changedProperties": changed}),
    )

    default, scanning = triage(event), triage(event, SCANS)

    assert default.decision is Decision.SKIP
    assert f"({what}); set scan_when_exposure_changes = true" in default.reason
    assert scanning.decision is Decision.HANDLE
    assert scanning.reason.endswith(f"({what}): recommendation scan if protected")


def test_other_item_changes_and_deleted_instances_are_skipped() -> None:
    tags = with_detail(
        sample_event("config-cichange-ec2-1.json"),
        lambda d: d.update(configurationItemDiff={"changedProperties": {"Tags.0": {}}, "changeType": "UPDATE"}),
    )
    deleted = with_detail(
        sample_event("config-cichange-ec2-1.json"),
        lambda d: d["configurationItem"].update(configurationItemStatus="ResourceDeleted"),
    )

    assert "neither its security groups nor its instance profile changed" in triage(tags, SCANS).reason
    assert "was deleted" in triage(deleted, SCANS).reason


def test_an_oversized_item_change_uses_the_summary() -> None:
    summary = sample_event("config-ruleinvoked-oversized-1.json").detail["invokingEvent"]

    def oversized(detail: dict[str, Any]) -> None:
        detail.clear()
        detail.update(copy.deepcopy(summary))

    verdict = triage(with_detail(sample_event("config-cichange-ec2-1.json"), oversized))

    assert "configuration of i-00000000" in verdict.reason
    assert verdict.targets.instance_ids == ("i-00000000",)


def test_an_item_invocation_is_evaluated_with_the_check_its_parameters_name() -> None:
    parameters = json.dumps({"check": "module", "module": "intrusion-prevention"})

    found = invocation(ruleParameters=parameters)

    assert (found.resource_id, found.answer, found.region) == ("i-00000000", None, "us-east-2")
    assert found.check is not None and found.check.describe() == "module intrusion_prevention"
    assert found.ordering_timestamp == "2016-02-17T01:36:34.043Z"


def test_a_periodic_invocation_evaluates_the_account_in_the_rules_region() -> None:
    found = invocation("config-ruleinvoked-periodic-1.json")

    assert found.periodic
    assert (found.account, found.region, found.ordering_timestamp) == (
        "123456789012",
        "us-east-2",
        "2016-07-13T21:50:00.373Z",
    )


@pytest.mark.parametrize(
    ("edit", "resource", "answer"),
    [
        ({"eventLeftScope": True}, "i-00000000", "i-00000000 left the rule's scope"),
        ({"ruleParameters": '{"check": "tags"}'}, "i-00000000", "unknown check 'tags' (known: protected, policy"),
        ({"ruleParameters": '{"check": "policy"}'}, "i-00000000", "check 'policy' needs the parameter 'policy'"),
        ({"ruleParameters": '{"check": "module", "module": "antivirus"}'}, "i-00000000", "needs 'module', one of"),
        ({"ruleParameters": "{not json"}, "123456789012", "ruleParameters is a string that is not JSON"),
        ({"invokingEvent": "[1]"}, "123456789012", "invokingEvent holds a JSON array, not an object"),
        ({"invokingEvent": "{}"}, "123456789012", "detail.invokingEvent.messageType is missing"),
    ],
)
def test_an_invocation_that_cannot_be_evaluated_is_answered_not_applicable_with_the_reason(
    edit: dict[str, Any], resource: str, answer: str
) -> None:
    found = invocation(**edit)

    assert found.resource_id == resource
    assert found.answer is not None and answer in found.answer
    assert found.resource_type == ("AWS::::Account" if resource.isdigit() else "AWS::EC2::Instance")


def test_a_rule_invocation_for_another_resource_type_is_answered_not_applicable() -> None:
    document = sample_document("config-ruleinvoked-ec2-2.json")
    inner = json.loads(document["invokingEvent"])
    inner["configurationItem"].update(resourceType="AWS::S3::Bucket", resourceId="b")
    document["invokingEvent"] = json.dumps(inner)

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.HANDLE
    assert "not applicable: AWS::S3::Bucket is not an EC2 instance" in verdict.reason


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"resultToken": None}, "Config rule invocation has no resultToken, so nothing can answer it"),
        ({"resultToken": None, "invokingEvent": "{oops"}, "invokingEvent is a string that is not JSON"),
    ],
)
def test_an_invocation_without_a_result_token_is_rejected_with_the_reason(edit: dict[str, Any], reason: str) -> None:
    document = {**sample_document("config-ruleinvoked-ec2-2.json"), **edit}

    verdict = triage(parse_body(json.dumps(document)))

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("name", "edit", "reason"),
    [
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


def test_a_body_that_is_not_an_invocation_stays_malformed() -> None:
    with pytest.raises(MalformedMessage, match="no detail-type"):
        parse_body(json.dumps({"invokingEvent": "{}"}))
