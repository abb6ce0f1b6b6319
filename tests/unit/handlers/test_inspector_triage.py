from __future__ import annotations

from typing import Any

import pytest
from support.handler_samples import sample_event, triage, with_detail

from wsbridge.consumer.handler import Decision

ACTIVE_EC2 = "inspector2-package-ec2-2.json"


def test_an_active_ec2_package_finding_is_keyed_on_arn_update_time_and_status() -> None:
    verdict = triage(sample_event(ACTIVE_EC2))

    assert verdict.finding_key == (
        "inspector:arn:aws:inspector2:eu-central-1:644160558196:finding/bae2fba169a149bf0778f477b6f0d303"
        ":2023-09-08T20:07:30Z:ACTIVE"
    )


@pytest.mark.parametrize(
    "updated_at",
    ["Fri Sep 08 20:07:30.366 UTC 2023", "Sep 8, 2023, 8:07:30 PM", "2023-09-08T20:07:30.366Z", "2023-09-08T20:07:30Z"],
)
def test_every_inspector_timestamp_spelling_gives_the_same_key(updated_at: str) -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.update(updatedAt=updated_at))

    assert triage(event).finding_key == triage(sample_event(ACTIVE_EC2)).finding_key


def test_an_unparseable_timestamp_is_kept_as_it_is() -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.update(updatedAt="yesterday"))

    assert triage(event).finding_key.endswith(":yesterday:ACTIVE")  # type: ignore[union-attr]


@pytest.mark.parametrize(("status", "decision"), [("SUPPRESSED", Decision.SKIP), ("CLOSED", Decision.SKIP)])
def test_only_active_findings_are_handled(status: str, decision: Decision) -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.update(status=status))

    verdict = triage(event)

    assert verdict.decision is decision
    assert f"is {status}, not ACTIVE" in verdict.reason


def test_code_vulnerabilities_are_skipped() -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.update(type="CODE_VULNERABILITY"))

    assert "CODE_VULNERABILITY findings are not handled" in triage(event).reason


@pytest.mark.parametrize("resource_type", ["AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION"])
def test_non_ec2_resources_are_skipped(resource_type: str) -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d["resources"][0].update(type=resource_type))

    verdict = triage(event)

    assert verdict.decision is Decision.SKIP
    assert f"type {resource_type}, not an EC2 instance" in verdict.reason


def test_network_reachability_can_be_turned_into_a_recommendation_scan() -> None:
    event = sample_event("inspector2-network-reachability-1.json")

    verdict = triage(event, {"inspector": {"network_reachability": "recommendation-scan"}})

    assert verdict.decision is Decision.HANDLE
    assert "recommendation scan" in verdict.reason
    assert verdict.targets.instance_ids == ("i-12345678901234567",)
    assert verdict.targets.cves == ()


@pytest.mark.parametrize(
    ("policy", "decision"),
    [({}, Decision.HANDLE), ({"min_severity": "MEDIUM"}, Decision.HANDLE), ({"min_severity": "HIGH"}, Decision.SKIP)],
)
def test_min_severity_label(policy: dict[str, Any], decision: Decision) -> None:
    assert triage(sample_event(ACTIVE_EC2), {"inspector": policy}).decision is decision


def test_untriaged_severity_is_never_below_the_threshold() -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.update(severity="UNTRIAGED"))

    assert triage(event, {"inspector": {"min_severity": "CRITICAL"}}).decision is Decision.HANDLE


def test_a_package_finding_without_a_vulnerability_id_is_rejected() -> None:
    event = with_detail(sample_event(ACTIVE_EC2), lambda d: d.pop("packageVulnerabilityDetails"))

    assert triage(event).decision is Decision.REJECT


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d.update(resources=[]), "detail.resources is missing or empty"),
        (lambda d: d.update(resources={"type": "AWS_EC2_INSTANCE"}), "detail.resources is a JSON object, not an array"),
        (lambda d: d.update(resources=["i-1"]), "detail.resources[0] is a JSON string, not an object"),
        (lambda d: d.update(findingArn=None), "detail.findingArn is missing"),
        (lambda d: d.update(status=3), "detail.status is a JSON number, not a string"),
        (
            lambda d: d.update(packageVulnerabilityDetails="CVE-1"),
            "detail.packageVulnerabilityDetails is a JSON string",
        ),
    ],
)
def test_wrong_types_are_rejected_with_the_path(edit: Any, reason: str) -> None:
    verdict = triage(with_detail(sample_event(ACTIVE_EC2), edit))

    assert verdict.decision is Decision.REJECT
    assert reason in verdict.reason
