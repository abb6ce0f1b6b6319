from __future__ import annotations

import json
from typing import Any

import pytest
from support.handler_samples import event_from, sample_document, sample_event, triage, with_detail

from wsbridge.consumer.handler import Decision

CLASSIC = "inspector-classic-sns-finding-1.json"
FINDING_ARN = (
    "arn:aws:inspector:us-west-2:123456789012:target/0-nvgVhaxX/template/0-7sbz2Kz0/run/0-MsGdTJzs/finding/0-ebM2rWKE"
)
LOOKUPS_ON = {"inspector_classic": {"classic_lookups": True}}


def classic_with(**message: Any) -> dict[str, Any]:
    document = sample_document(CLASSIC)
    document["Message"] = json.dumps({**json.loads(document["Message"]), **message})
    return document


def test_a_classic_finding_is_handled_only_with_lookups_on() -> None:
    event = event_from(classic_with(finding=FINDING_ARN))

    assert triage(event).decision is Decision.SKIP
    verdict = triage(event, LOOKUPS_ON)
    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.finding_id == FINDING_ARN
    assert (verdict.targets.account, verdict.targets.region) == ("123456789012", "us-west-2")
    assert verdict.finding_key == f"inspector-classic:{FINDING_ARN}:2019-04-09T00:00:01.401Z"


def test_the_workshop_placeholder_is_not_a_finding_arn() -> None:
    verdict = triage(sample_event(CLASSIC), LOOKUPS_ON)

    assert verdict.decision is Decision.REJECT
    assert "'INSERT ARN HERE' is not a finding ARN" in verdict.reason


def test_other_inspector_classic_notifications_are_skipped() -> None:
    verdict = triage(event_from(classic_with(event="ASSESSMENT_RUN_COMPLETED")), LOOKUPS_ON)

    assert verdict.decision is Decision.SKIP
    assert "only FINDING_REPORTED" in verdict.reason


@pytest.mark.parametrize(
    "message", ["plain text, not JSON", json.dumps({"AlarmName": "cpu"}), json.dumps({"event": 5})]
)
def test_other_sns_notifications_are_rejected_as_unsupported(message: str) -> None:
    document = sample_document(CLASSIC)
    document["Message"] = message

    verdict = triage(event_from(document))

    assert verdict.decision is Decision.REJECT


def test_macie_policy_findings_that_pass_the_filters_are_handled() -> None:
    def to_policy_finding(detail: dict[str, Any]) -> None:
        detail.update(type="Policy:IAMUser/S3BucketPublic", category="POLICY")
        detail.pop("classificationDetails")
        detail["resourcesAffected"].pop("s3Object")

    verdict = triage(with_detail(sample_event("macie2-sensitivedata-multiple-1.json"), to_policy_finding))

    assert verdict.decision is Decision.HANDLE
    assert verdict.reason == "Macie Policy:IAMUser/S3BucketPublic on bucket DOC-EXAMPLE-BUCKET1 (severity HIGH)"
    assert verdict.targets.bucket == "DOC-EXAMPLE-BUCKET1"
    assert verdict.finding_key == "macie:555555555555:us-east-1:00000000000000000000000000000001:2021-10-25T23:25:04Z"


@pytest.mark.parametrize(
    ("field", "policy", "decision", "reason"),
    [
        ("sample", {}, "skip", "is a sample finding (include_samples = false)"),
        ("sample", {"include_samples": True}, "handle", "on bucket DOC-EXAMPLE-BUCKET1 (severity HIGH)"),
        ("archived", {}, "skip", "is archived (include_archived = false)"),
        ("archived", {"include_archived": True}, "handle", "on bucket DOC-EXAMPLE-BUCKET1 (severity HIGH)"),
    ],
)
def test_macie_sample_and_archived_findings_follow_the_policy(
    field: str, policy: dict[str, Any], decision: str, reason: str
) -> None:
    event = with_detail(sample_event("macie2-sensitivedata-multiple-2.json"), lambda d: d.update({field: True}))

    verdict = triage(event, {"macie": policy})

    assert verdict.decision.value == decision
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        ({"min_severity": "HIGH"}, "severity MEDIUM is below min_severity HIGH"),
        ({"finding_types": ["policy"]}, "sensitive_data findings are off (finding_types)"),
    ],
)
def test_macie_severity_and_finding_types_follow_the_policy(policy: dict[str, Any], reason: str) -> None:
    event = sample_event("macie2-sensitivedata-customidentifier-1.json")

    assert triage(event).decision is Decision.HANDLE
    verdict = triage(event, {"macie": policy})

    assert verdict.decision is Decision.SKIP
    assert verdict.reason.endswith(reason)


def test_a_macie_finding_without_a_bucket_is_skipped() -> None:
    event = with_detail(sample_event("macie2-sensitivedata-multiple-2.json"), lambda d: d.pop("resourcesAffected"))

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert "names no S3 bucket" in verdict.reason


def test_every_schedule_is_skipped_while_no_waf_audit_rule_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSBRIDGE_WAF_AUDIT_RULE", raising=False)

    verdict = triage(event_from(sample_document("scheduled-event-1.json")))

    assert verdict.decision is Decision.SKIP
    assert verdict.reason == (
        "scheduled run from arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule: "
        "WSBRIDGE_WAF_AUDIT_RULE is not set"
    )


def test_a_schedule_from_another_rule_is_skipped_with_that_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSBRIDGE_WAF_AUDIT_RULE", "wsbridge-waf-audit")

    verdict = triage(event_from(sample_document("scheduled-event-1.json")))

    assert verdict.decision is Decision.SKIP
    assert verdict.reason == (
        "scheduled run from arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule "
        "is not the WAF audit schedule wsbridge-waf-audit"
    )


@pytest.mark.parametrize(
    ("rule", "sample"),
    [
        ("my-scheduled-rule", "scheduled-event-1.json"),
        ("arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule", "scheduled-event-1.json"),
        ("rg-patch-intimation", "scheduler-default-1.json"),
    ],
)
def test_the_waf_audit_schedule_by_name_or_arn_starts_the_audit(
    monkeypatch: pytest.MonkeyPatch, rule: str, sample: str
) -> None:
    monkeypatch.setenv("WSBRIDGE_WAF_AUDIT_RULE", rule)

    verdict = triage(event_from(sample_document(sample)))

    assert verdict.decision is Decision.HANDLE
    assert verdict.targets.resource_type == "schedule"
    assert verdict.finding is not None


def test_an_arn_names_only_that_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSBRIDGE_WAF_AUDIT_RULE", "arn:aws:events:us-east-1:999999999999:rule/my-scheduled-rule")

    assert triage(event_from(sample_document("scheduled-event-1.json"))).decision is Decision.SKIP
