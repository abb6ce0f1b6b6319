"""Security Hub planning: the same actions as the native event, Custom Actions, and the optional write-back."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiobotocore.stub import AioStubber
from support.handler_samples import event_from, registry, sample_document, sample_event
from support.planning import brief
from support.stubbed_aws import StubbedAws, stubbed_client
from support.twins import GD_ASFF, INSPECTOR_NATIVE, inspector_asff_document, native_guardduty_for

from wsbridge.consumer.actions import RunIntegrityScan, RunRecommendationScan
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Decision, HandlerContext, PermanentError
from wsbridge.consumer.services import Services
from wsbridge.handlers.securityhub.notes import note_for
from wsbridge.handlers.securityhub.writeback import UpdateSecurityHubFinding

IMPORTED = "Security Hub Findings - Imported"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
GD_ID = sample_document(GD_ASFF)["detail"]["findings"][0]["Id"]
GD_PRODUCT = sample_document(GD_ASFF)["detail"]["findings"][0]["ProductArn"]


async def plan(event: Event, planning: HandlerContext, policies: dict[str, Any] | None = None) -> list[Any]:
    handler = registry(policies)[event.detail_type]
    verdict = handler.triage(event)
    assert verdict.decision is Decision.HANDLE, verdict.reason
    return list((await handler.plan(event, verdict, planning)).actions)


async def test_a_guardduty_finding_is_planned_the_same_natively_and_through_security_hub(
    planning: HandlerContext,
) -> None:
    via_hub = sample_event(GD_ASFF)
    native = event_from(native_guardduty_for(via_hub.detail["findings"][0]))

    hub_plan, native_plan = await plan(via_hub, planning), await plan(native, planning)

    assert hub_plan == native_plan == [RunRecommendationScan(5, apply=True), RunIntegrityScan(5)]


async def test_an_inspector_finding_is_planned_the_same_natively_and_through_security_hub(
    planning: HandlerContext,
) -> None:
    hub_plan = await plan(event_from(inspector_asff_document()), planning)
    native_plan = await plan(sample_event(INSPECTOR_NATIVE), planning)

    assert hub_plan == native_plan
    assert [brief(action) for action in hub_plan] == ["assign_ips_rules:policy:2:4305"]


async def test_the_securityhub_sub_policies_are_used(planning: HandlerContext) -> None:
    policies = {"securityhub": {"inspector": {"assign_to": "computer"}}}

    [assignment] = await plan(event_from(inspector_asff_document()), planning, policies)

    assert (assignment.policy_id, assignment.computer_id) == (None, 2)


def custom_action(document: dict[str, Any]) -> Event:
    document = copy.deepcopy(document)
    document["detail-type"] = CUSTOM_ACTION
    document["detail"].update(actionName="Scan with WS", actionDescription="Scan now", actionId="arn:aws:...")
    return event_from(document)


async def test_a_custom_action_is_an_explicit_request_that_bypasses_the_filters(planning: HandlerContext) -> None:
    document = sample_document(GD_ASFF)
    document["detail"]["findings"][0]["ProductFields"]["aws/guardduty/service/additionalInfo/sample"] = "true"
    imported = event_from(document)
    policies = {"securityhub": {"guardduty": {"min_severity": 8}}}

    assert registry(policies)[IMPORTED].triage(imported).decision is Decision.SKIP
    assert await plan(custom_action(document), planning, policies) == [
        RunRecommendationScan(5, apply=True),
        RunIntegrityScan(5),
    ]


async def test_several_findings_on_one_instance_cost_one_scan_pair(planning: HandlerContext) -> None:
    document = sample_document(GD_ASFF)
    second = copy.deepcopy(document["detail"]["findings"][0])
    second["Id"] = GD_ID.replace("/finding/46ba0ac2", "/finding/99990000")
    second["Types"] = ["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"]
    document["detail"]["findings"].append(second)

    actions = await plan(event_from(document), planning)

    assert [brief(action) for action in actions] == ["recommendation_scan:5", "integrity_scan:5", "malware_scan:5"]


async def test_write_back_comes_after_the_actions_and_says_what_they_did(planning: HandlerContext) -> None:
    policies = {"securityhub": {"write_back": True}}

    actions = await plan(sample_event(GD_ASFF), planning, policies)

    assert actions[:2] == [RunRecommendationScan(5, apply=True), RunIntegrityScan(5)]
    assert actions[2] == UpdateSecurityHubFinding(
        finding_id=GD_ID,
        product_arn=GD_PRODUCT,
        note="wsbridge: recommendation scan (recommendations applied) on computer 5; integrity scan on computer 5",
        workflow_status="NOTIFIED",
    )


async def test_write_back_can_leave_the_workflow_status_alone(planning: HandlerContext) -> None:
    policies = {"securityhub": {"write_back": True, "write_back_status": "unchanged"}}

    write_back = (await plan(sample_event(GD_ASFF), planning, policies))[-1]

    assert write_back.workflow_status is None


async def test_write_back_notes_an_unprotected_instance(planning: HandlerContext) -> None:
    document = sample_document(GD_ASFF)
    document["detail"]["findings"][0]["Resources"][0]["Id"] = "arn:aws:ec2:us-east-1:193043430472:instance/i-0fff"

    actions = await plan(event_from(document), planning, {"securityhub": {"write_back": True}})

    assert [action.kind for action in actions] == ["notify", "securityhub_update"]
    assert actions[1].note.startswith("wsbridge: notified: GuardDuty finding on i-0fff, which Workload Security")


async def test_an_archived_macie_finding_is_skipped_so_nothing_is_written_back() -> None:
    document = sample_document("securityhub-imported-control-fsbp-1.json")
    document["detail"]["findings"][0].update(
        ProductArn="arn:aws:securityhub:us-east-2::product/aws/macie",
        Types=["Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal"],
        Resources=[{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::payroll-exports", "Region": "us-east-2"}],
        RecordState="ARCHIVED",
    )
    event = event_from(document)

    verdict = registry({"securityhub": {"write_back": True}})[event.detail_type].triage(event)

    assert verdict.decision is Decision.SKIP
    assert "is archived (include_archived = false)" in verdict.reason


@pytest_asyncio.fixture
async def securityhub() -> AsyncIterator[AioStubber]:
    async with stubbed_client("securityhub", "us-east-1") as stubber:
        yield stubber


WRITE_BACK = UpdateSecurityHubFinding(GD_ID, GD_PRODUCT, "wsbridge: integrity scan on computer 5", "NOTIFIED")
EXPECTED_REQUEST = {
    "FindingIdentifiers": [{"Id": GD_ID, "ProductArn": GD_PRODUCT}],
    "Note": {"Text": "wsbridge: integrity scan on computer 5", "UpdatedBy": "wsbridge"},
    "Workflow": {"Status": "NOTIFIED"},
}


async def test_the_write_back_is_one_batch_update_findings_call(securityhub: AioStubber) -> None:
    securityhub.add_response(
        "batch_update_findings",
        {"ProcessedFindings": [{"Id": GD_ID, "ProductArn": GD_PRODUCT}], "UnprocessedFindings": []},
        EXPECTED_REQUEST,
    )

    await WRITE_BACK.run(Services(aws=StubbedAws("securityhub", securityhub.client)))  # type: ignore[arg-type]


async def test_a_finding_security_hub_will_not_update_is_a_permanent_failure(securityhub: AioStubber) -> None:
    refused = {
        "FindingIdentifier": {"Id": GD_ID, "ProductArn": GD_PRODUCT},
        "ErrorCode": "FindingNotFound",
        "ErrorMessage": "no such finding",
    }
    securityhub.add_response(
        "batch_update_findings", {"ProcessedFindings": [], "UnprocessedFindings": [refused]}, EXPECTED_REQUEST
    )

    with pytest.raises(PermanentError, match="FindingNotFound"):
        await WRITE_BACK.run(Services(aws=StubbedAws("securityhub", securityhub.client)))  # type: ignore[arg-type]


def test_notes_are_cut_to_security_hubs_limit() -> None:
    note = note_for([RunIntegrityScan(computer) for computer in range(100)])

    assert len(note) == 512
    assert note.endswith("...")
