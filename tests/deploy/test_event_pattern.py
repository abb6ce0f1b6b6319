"""The findings rule filters on ``detail``: what no handler acts on is not queued, and nothing else is lost."""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import pytest
from conftest import import_from_checkout
from deploy_tools import ROOT

from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.envelope import parse_body
from wsbridge.consumer.pipeline import assess_event
from wsbridge.consumer.settings import UnknownDetailTypePolicy

samples = import_from_checkout("devstack.samples")
event_pattern = import_from_checkout("devstack.event_pattern")

PATTERN = json.loads((ROOT / "config" / "eventbridge-pattern.json").read_text())
EVENTS = dict(samples.envelopes(sorted((ROOT / "tests" / "fixtures" / "events").glob("*.json"))))
NOISE = {
    "config-cichange-sqs-1": "a Config item that is not an EC2 instance",
    "config-compliance-ebsvolume-1": "a compliance change of a volume",
    "config-compliance-iamuser-1": "a compliance change of an IAM user",
    "inspector2-package-ec2-1": "a CLOSED Inspector finding",
    "securityhub-imported-cis13-1": "a Security Hub control finding",
    "securityhub-imported-control-fsbp-1": "a Security Hub control finding",
}
EVERY_RESPONSE_ON = {"config_rules": {"scan_when_noncompliant": True, "scan_when_exposure_changes": True}}


def ours(event: dict[str, Any]) -> bool:
    return event["source"] in PATTERN["source"]


def sample(stem: str) -> dict[str, Any]:
    return copy.deepcopy(EVENTS[stem])


def test_the_rule_leaves_out_exactly_the_noise_among_the_real_samples() -> None:
    left_out = {stem for stem, event in EVENTS.items() if ours(event) and not samples.matches_rule(event)}
    assert left_out == set(NOISE)


def test_no_sample_left_out_is_one_a_handler_acts_on_with_every_response_enabled() -> None:
    demo = tomllib.loads((ROOT / "config" / "handlers.demo.toml").read_text())["handlers"]
    registry = Registry.from_entry_points({**demo, **EVERY_RESPONSE_ON})
    for stem in NOISE:
        event = parse_body(json.dumps(EVENTS[stem]))
        assessment = assess_event(event, registry, UnknownDetailTypePolicy.DEAD_LETTER)
        assert assessment.triage.decision == "skip", (stem, assessment.triage)


def test_an_oversized_config_item_of_an_instance_is_matched_by_its_summary() -> None:
    event = sample("config-cichange-ec2-1")
    item = event["detail"].pop("configurationItem")
    event["detail"]["messageType"] = "OversizedConfigurationItemChangeNotification"
    event["detail"]["configurationItemSummary"] = {"resourceType": item["resourceType"], "resourceId": "i-1"}
    assert samples.matches_rule(event)
    event["detail"]["configurationItemSummary"]["resourceType"] = "AWS::EC2::Volume"
    assert not samples.matches_rule(event)


def test_a_compliance_change_of_an_instance_is_matched_where_the_handler_reads_its_type() -> None:
    event = sample("config-compliance-ebsvolume-1")
    event["detail"]["resourceType"] = "AWS::EC2::Instance"
    assert samples.matches_rule(event)
    del event["detail"]["resourceType"]
    result = event["detail"]["newEvaluationResult"]["evaluationResultIdentifier"]
    result["evaluationResultQualifier"]["resourceType"] = "AWS::EC2::Instance"
    assert samples.matches_rule(event)


def test_an_import_is_queued_when_any_of_its_findings_comes_from_a_product_we_answer() -> None:
    control = sample("securityhub-imported-cis13-1")
    guardduty = sample("securityhub-imported-guardduty-ec2-1")["detail"]["findings"]
    control["detail"]["findings"].extend(guardduty)
    assert samples.matches_rule(control)
    for finding in control["detail"]["findings"]:
        finding["ProductArn"] = "arn:aws:securityhub:us-east-1::product/crowdstrike/crowdstrike-falcon"
    assert not samples.matches_rule(control)


def test_custom_actions_and_every_guardduty_and_macie_finding_are_queued() -> None:
    custom = sample("securityhub-imported-cis13-1")
    custom["detail-type"] = "Security Hub Findings - Custom Action"
    assert samples.matches_rule(custom)
    assert all(
        samples.matches_rule(event) for event in EVENTS.values() if event["source"] in ("aws.guardduty", "aws.macie")
    )


def test_the_matcher_refuses_an_operator_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="numeric"):
        event_pattern.matches({"detail": {"n": [{"numeric": [">", 1]}]}}, {"detail": {"n": 2}})
