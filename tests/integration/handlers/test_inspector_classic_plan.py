"""Inspector Classic: the DescribeFindings lookup (botocore Stubber on an aiobotocore client) and the mapping."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from aiobotocore.stub import AioStubber
from support.handler_samples import EVENTS, registry
from support.planning import context
from support.stubbed_aws import StubbedAws, stubbed_client

from wsbridge.consumer.actions import AssignIpsRules, RunRecommendationScan
from wsbridge.consumer.envelope import Event, parse_body
from wsbridge.consumer.handler import Decision, HandlerContext, PermanentError, TransientError
from wsbridge.consumer.services import Services
from wsbridge.handlers.inspector.classic_lookup import classic_finding

ARN = "arn:aws:inspector:eu-central-1:644160558196:target/0-a1/template/0-b2/run/0-c3/finding/0-d4"
LOOKUPS = {"classic_lookups": True}


def notification(finding_arn: str = ARN) -> Event:
    """The Inspector Classic SNS sample, naming ``finding_arn``."""
    body = json.loads((EVENTS / "inspector-classic-sns-finding-1.json").read_text())
    message = json.loads(body["Message"])
    message["finding"] = finding_arn
    body["Message"] = json.dumps(message)
    return parse_body(json.dumps(body))


def described(**fields: Any) -> dict[str, Any]:
    """A DescribeFindings record for a CVE rules package finding on demo-web-2."""
    return {
        "arn": ARN,
        "id": "CVE-2022-40982",
        "title": "Instance i-07b035550fa86717d is vulnerable to CVE-2022-40982",
        "severity": "High",
        "assetType": "ec2-instance",
        "assetAttributes": {"schemaVersion": 1, "agentId": "i-07b035550fa86717d"},
        "attributes": [{"key": "INSTANCE_ID", "value": "i-07b035550fa86717d"}],
        "userAttributes": [],
        "createdAt": datetime(2019, 4, 9, tzinfo=UTC),
        "updatedAt": datetime(2019, 4, 9, 0, 0, 1, tzinfo=UTC),
        **fields,
    }


def test_a_cve_finding_maps_to_a_package_vulnerability_on_the_agents_instance() -> None:
    finding = classic_finding(described(), ARN)

    assert finding.finding_type == "PACKAGE_VULNERABILITY"
    assert finding.instance_ids == ("i-07b035550fa86717d",)
    assert finding.cves == ("CVE-2022-40982",)
    assert (finding.account, finding.region, finding.status, finding.severity) == (
        "644160558196",
        "eu-central-1",
        "ACTIVE",
        "HIGH",
    )
    assert finding.updated_at == "2019-04-09T00:00:01+00:00"


def test_the_cve_can_come_from_the_cve_id_attribute() -> None:
    raw = described(id="Package vulnerability", attributes=[{"key": "CVE_ID", "value": "CVE-2021-44228"}])

    assert classic_finding(raw, ARN).cves == ("CVE-2021-44228",)


def test_port_attributes_make_a_network_reachability_finding() -> None:
    raw = described(
        id="Recognized port reachable from internet",
        attributes=[{"key": "PORT", "value": "22"}, {"key": "REACHABILITY_TYPE", "value": "Internet"}],
    )

    assert classic_finding(raw, ARN).finding_type == "NETWORK_REACHABILITY"


def test_no_agent_means_no_instance() -> None:
    finding = classic_finding(described(assetAttributes={"schemaVersion": 1}, attributes=[]), ARN)

    assert finding.instance_ids == ()
    assert finding.resource_type == "ec2-instance"


@pytest_asyncio.fixture
async def inspector() -> AsyncIterator[AioStubber]:
    async with stubbed_client("inspector", "eu-central-1") as stubber:
        yield stubber


@pytest.fixture
def looking_up(services: Services, inspector: AioStubber) -> HandlerContext:
    return context(dataclasses.replace(services, aws=StubbedAws("inspector", inspector.client)))


def expect_lookup(stubber: AioStubber, response: dict[str, Any]) -> None:
    stubber.add_response("describe_findings", response, {"findingArns": [ARN], "locale": "EN_US"})


async def plan(context: HandlerContext, **policy: Any) -> list[Any]:
    handler = registry({"inspector_classic": {**LOOKUPS, **policy}})["SNS Notification"]
    event = notification()
    verdict = handler.triage(event)
    assert verdict.decision is Decision.HANDLE, verdict.reason
    return list((await handler.plan(event, verdict, context)).actions)


async def test_a_looked_up_cve_finding_is_planned_like_inspector2(
    looking_up: HandlerContext, inspector: AioStubber
) -> None:
    expect_lookup(inspector, {"findings": [described()], "failedItems": {}})

    assert await plan(looking_up) == [AssignIpsRules((4305,), policy_id=2, cve="CVE-2022-40982")]


async def test_the_inspector_settings_apply_to_classic_findings(
    looking_up: HandlerContext, inspector: AioStubber
) -> None:
    expect_lookup(inspector, {"findings": [described()], "failedItems": {}})

    assert await plan(looking_up, assign_to="computer") == [
        AssignIpsRules((4305,), computer_id=2, cve="CVE-2022-40982")
    ]


async def test_a_reachability_finding_follows_network_reachability(
    looking_up: HandlerContext, inspector: AioStubber
) -> None:
    raw = described(id="Recognized port reachable from internet", attributes=[{"key": "PORT", "value": "22"}])
    expect_lookup(inspector, {"findings": [raw], "failedItems": {}})

    assert await plan(looking_up, network_reachability="recommendation-scan") == [RunRecommendationScan(2)]


async def test_a_finding_the_policy_skips_plans_nothing(looking_up: HandlerContext, inspector: AioStubber) -> None:
    expect_lookup(inspector, {"findings": [described(severity="Low")], "failedItems": {}})

    assert await plan(looking_up, min_severity="HIGH") == []


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ({"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False}, PermanentError),
        ({"failureCode": "INTERNAL_ERROR", "retryable": True}, TransientError),
    ],
)
async def test_a_finding_that_cannot_be_described_fails_as_inspector_says(
    failure: dict[str, Any], error: type[Exception], looking_up: HandlerContext, inspector: AioStubber
) -> None:
    expect_lookup(inspector, {"findings": [], "failedItems": {ARN: failure}})

    with pytest.raises(error, match=failure["failureCode"]):
        await plan(looking_up)


async def test_an_arn_inspector_refuses_is_permanent(looking_up: HandlerContext, inspector: AioStubber) -> None:
    inspector.add_client_error("describe_findings", "InvalidInputException", "bad arn")

    with pytest.raises(PermanentError, match="InvalidInputException"):
        await plan(looking_up)
