"""The plugin authors' testing helper: one event through triage and plan against a WS API."""

from __future__ import annotations

import pytest
from support.daemon import probe_event
from support.handler_samples import registry, sample_document
from support.sandbox import API_KEY
from wsbridge_probe import ProbeHandler

from wsbridge.consumer.plugin import Decision, RunIntegrityScan, RunRecommendationScan, plan_event


async def test_a_registered_handler_plans_against_the_given_ws_api(sandbox: str) -> None:
    handler = registry()["GuardDuty Finding"]
    finding = sample_document("guardduty-canary-ec2-1.json")
    finding["detail"]["resource"]["instanceDetails"]["instanceId"] = "i-12345678901234567"
    finding["detail"]["type"] = "UnauthorizedAccess:EC2/SSHBruteForce"
    planned = await plan_event(handler, finding, ws_url=f"{sandbox}/api", api_key=API_KEY)
    planned.assert_decision(Decision.HANDLE)
    planned.assert_actions(RunRecommendationScan(1, apply=True), RunIntegrityScan(1))


async def test_a_plugin_handler_is_planned_without_any_ws_api() -> None:
    planned = await plan_event(ProbeHandler(), probe_event("helper", noop=True))
    planned.assert_decision("handle")
    assert planned.actions == ()
    assert planned.plan is not None and planned.plan.reason == "probe asked for an empty plan"


async def test_a_rejected_event_has_no_plan_and_a_wrong_expectation_says_what_was_planned() -> None:
    planned = await plan_event(ProbeHandler(), probe_event("helper", reject=True))
    planned.assert_decision(Decision.REJECT)
    assert planned.plan is None
    with pytest.raises(AssertionError, match="probe asked to be rejected"):
        planned.assert_actions(RunIntegrityScan(1))
