from __future__ import annotations

import copy
from typing import Any

import pytest
from support.handler_samples import event_from, sample_document, sample_event, triage, with_detail
from support.twins import GD_ASFF, INSPECTOR_NATIVE, inspector_asff_document, native_guardduty_for

from wsbridge.consumer.handler import Decision

CUSTOM_ACTION = "Security Hub Findings - Custom Action"


def asff_document(name: str, **finding: Any) -> dict[str, Any]:
    document = sample_document(name)
    document["detail"]["findings"][0].update(finding)
    return document


def test_a_guardduty_finding_gets_one_key_and_one_verdict_whichever_way_it_arrives() -> None:
    via_hub = sample_event(GD_ASFF)
    native = event_from(native_guardduty_for(via_hub.detail["findings"][0]))

    hub_verdict, native_verdict = triage(via_hub), triage(native)

    assert hub_verdict.decision is native_verdict.decision is Decision.HANDLE
    assert hub_verdict.finding_key == native_verdict.finding_key
    assert hub_verdict.finding_key == (
        "guardduty:193043430472:us-east-1:46ba0ac2845071e23ccdeb2ae03bfdea:2020-09-30T12:14:00Z"
    )
    assert hub_verdict.targets == native_verdict.targets
    assert hub_verdict.reason == native_verdict.reason


def test_an_inspector2_finding_gets_one_key_whichever_way_it_arrives() -> None:
    native = sample_event(INSPECTOR_NATIVE)
    document = inspector_asff_document()

    hub_verdict, native_verdict = triage(event_from(document)), triage(native)

    assert hub_verdict.decision is native_verdict.decision is Decision.HANDLE
    assert hub_verdict.finding_key == native_verdict.finding_key
    assert hub_verdict.targets == native_verdict.targets


def test_an_archived_inspector_finding_is_closed() -> None:
    document = asff_document(
        "securityhub-imported-inspector2-ecr-1.json",
        RecordState="ARCHIVED",
        Resources=[{"Type": "AwsEc2Instance", "Id": "arn:aws:ec2:us-east-1:644160558196:instance/i-1"}],
    )

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.SKIP
    assert "is CLOSED" in verdict.reason


def test_a_macie_finding_via_security_hub_is_decided_like_a_native_one() -> None:
    document = asff_document(
        "securityhub-imported-control-fsbp-1.json",
        Id="arn:aws:macie2:us-east-2:123456789012:finding/9f4b0a1c2d3e4f5a6b7c8d9e0f1a2b3c",
        ProductArn="arn:aws:securityhub:us-east-2::product/aws/macie",
        Types=["Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal"],
        Resources=[
            {"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::payroll-exports", "Region": "us-east-2"},
            {"Type": "AwsS3Object", "Id": "arn:aws:s3:::payroll-exports/2024/march.csv"},
        ],
    )

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.bucket == "payroll-exports"
    assert "Macie SensitiveData:S3Object/Personal on bucket payroll-exports (severity" in verdict.reason


def sample_flagged(document: dict[str, Any]) -> dict[str, Any]:
    document["detail"]["findings"][0]["ProductFields"]["aws/guardduty/service/additionalInfo/sample"] = "true"
    return document


def test_a_sample_finding_is_skipped_when_imported_but_acted_on_when_a_user_asks() -> None:
    imported = sample_flagged(sample_document(GD_ASFF))
    requested = {**copy.deepcopy(imported), "detail-type": CUSTOM_ACTION}

    assert triage(event_from(imported)).decision is Decision.SKIP
    verdict = triage(event_from(requested))
    assert verdict.decision is Decision.HANDLE
    assert verdict.finding_key is None


def test_a_user_request_bypasses_the_severity_threshold() -> None:
    policies = {"securityhub": {"guardduty": {"min_severity": 7}}}
    imported = sample_document(GD_ASFF)

    assert triage(event_from(imported), policies).decision is Decision.SKIP
    assert triage(event_from({**imported, "detail-type": CUSTOM_ACTION}), policies).decision is Decision.HANDLE


def test_a_user_request_on_a_non_ec2_finding_is_still_skipped() -> None:
    document = {**sample_document("securityhub-imported-guardduty-iam-1.json"), "detail-type": CUSTOM_ACTION}

    assert triage(event_from(document)).decision is Decision.SKIP


def test_products_can_be_left_to_their_native_rules() -> None:
    verdict = triage(sample_event(GD_ASFF), {"securityhub": {"products": ["inspector", "macie"]}})

    assert verdict.decision is Decision.SKIP
    assert "products setting" in verdict.reason


def test_findings_from_other_products_are_skipped() -> None:
    document = asff_document(
        GD_ASFF, ProductArn="arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    )

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.SKIP
    assert "product 123456789012/default is not handled" in verdict.reason


def test_an_event_with_several_findings_acts_on_those_that_qualify() -> None:
    document = sample_document(GD_ASFF)
    document["detail"]["findings"].append(
        sample_document("securityhub-imported-guardduty-iam-1.json")["detail"]["findings"][0]
    )

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.HANDLE
    assert verdict.reason.startswith("1 of 2 findings to act on")
    assert verdict.targets.instance_ids == ("i-0c10c2c7863d1a356",)


@pytest.mark.parametrize(
    ("findings", "reason"),
    [
        ([], "detail.findings is empty"),
        ({"Id": "x"}, "detail.findings is a JSON object, not an array"),
        (None, "detail.findings is a JSON null, not an array"),
        (["finding"], "detail.findings[0] is a JSON string, not an object"),
        ([{"Id": "x"}], "detail.findings[0].ProductArn is missing"),
    ],
)
def test_malformed_findings_are_rejected(findings: Any, reason: str) -> None:
    event = with_detail(sample_event(GD_ASFF), lambda d: d.update(findings=findings))

    verdict = triage(event)

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason


def test_a_resource_with_a_wrong_type_is_rejected() -> None:
    event = with_detail(sample_event(GD_ASFF), lambda d: d["findings"][0]["Resources"][0].update(Id=12))

    verdict = triage(event)

    assert verdict.decision is Decision.REJECT
    assert "detail.findings[0].Resources[0].Id is a JSON number, not a string" in verdict.reason
