"""GuardDuty planning against the WS sandbox: graded protection.

Fully protected instances get scans, managed and online agents with gaps get the scans their modules
support and a notice naming the gaps, unknown, unmanaged or offline ones a notice only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.handler_samples import event_from, registry, sample_document
from support.planning import RecordingNotifier, brief, context, seed
from support.sandbox import admin

from wsbridge.consumer.actions import Notify, RunIntegrityScan, RunMalwareScan, RunRecommendationScan
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.executor import Executor
from wsbridge.consumer.handler import Decision, HandlerContext
from wsbridge.consumer.services import Services
from wsbridge.consumer.state import MemoryDedupeStore
from wsbridge.consumer.workload_security import WorkloadSecurityError

WEB_1 = "i-12345678901234567"
LEGACY = "i-05746eb48123455e0"


def finding(instance_id: str, finding_type: str = "UnauthorizedAccess:EC2/SSHBruteForce", **detail: Any) -> Event:
    """The canary sample about ``instance_id`` with another type (and detail fields)."""
    document = sample_document("guardduty-canary-ec2-1.json")
    document["detail"]["resource"]["instanceDetails"]["instanceId"] = instance_id
    document["detail"].update(type=finding_type, **detail)
    return event_from(document)


@pytest.fixture
def reseed(sandbox: str) -> Iterator[Callable[..., None]]:
    """Seeds the sandbox with one computer's top-level sections replaced; the planning seed comes back after."""

    def change(computer_id: int, **changes: Any) -> None:
        document = seed()
        computer = next(item for item in document["computers"] if item["ID"] == computer_id)
        computer.update(changes)
        admin(sandbox, "POST", "seed", {"computers": document["computers"]})

    yield change
    admin(sandbox, "POST", "seed", {"computers": seed()["computers"]})


async def plan(event: Event, planning: HandlerContext, **policy: Any) -> list[Any]:
    handler = registry({"guardduty": policy})["GuardDuty Finding"]
    verdict = handler.triage(event)
    assert verdict.decision is Decision.HANDLE, verdict.reason
    return list((await handler.plan(event, verdict, planning)).actions)


async def test_a_protected_instance_gets_an_applied_recommendation_scan_then_an_integrity_scan(
    planning: HandlerContext,
) -> None:
    assert await plan(finding(WEB_1), planning) == [RunRecommendationScan(1, apply=True), RunIntegrityScan(1)]


@pytest.mark.parametrize(
    ("finding_type", "extra"),
    [
        ("CryptoCurrency:EC2/BitcoinTool.B!DNS", [RunMalwareScan(1)]),
        ("Backdoor:EC2/C&CActivity.B!DNS", [RunMalwareScan(1)]),
        ("Trojan:EC2/BlackholeTraffic!DNS", [RunMalwareScan(1)]),
        ("Recon:EC2/PortProbeUnprotectedPort", []),
    ],
)
async def test_threat_families_add_a_malware_scan_by_default(
    finding_type: str, extra: list[Any], planning: HandlerContext
) -> None:
    actions = await plan(finding(WEB_1, finding_type), planning)

    assert actions == [RunRecommendationScan(1, apply=True), RunIntegrityScan(1), *extra]


async def test_families_are_configurable_and_can_also_notify(planning: HandlerContext) -> None:
    event = finding(WEB_1, "Recon:EC2/PortProbeUnprotectedPort")

    actions = await plan(event, planning, malware_scan_families=["Recon"], notify_families=["Recon"])

    assert [brief(action) for action in actions] == [
        "recommendation_scan:1",
        "integrity_scan:1",
        "malware_scan:1",
        f"notify:scanned-instance:{WEB_1}",
    ]
    assert actions[-1].details["scans"] == ["recommendation_scan", "integrity_scan", "malware_scan"]


async def test_an_unknown_instance_is_a_notice_with_what_the_team_needs(planning: HandlerContext) -> None:
    event = finding("i-0123456789abcdef0", severity=7.5)

    [notice] = await plan(event, planning)

    assert isinstance(notice, Notify)
    assert notice.topic == "unprotected-instance"
    assert notice.dedupe_key == "unprotected-instance:i-0123456789abcdef0"
    details = notice.details
    assert details["instance_id"] == "i-0123456789abcdef0"
    assert (details["account"], details["region"]) == ("123456789012", "us-east-1")
    assert (details["finding_type"], details["severity"]) == ("UnauthorizedAccess:EC2/SSHBruteForce", 7.5)
    assert details["console_url"] == (
        "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1"
        "#/findings?macros=current&fId=16afba5c5c43e07c9e3e5e2e544e95df"
    )
    assert details["instance_console_url"].endswith("#InstanceDetails:instanceId=i-0123456789abcdef0")
    assert "not known to Workload Security" in details["reason"]


async def test_a_managed_agent_with_gaps_gets_the_scans_it_supports_and_a_notice_naming_the_gaps(
    planning: HandlerContext,
) -> None:
    scan, notice = await plan(finding(LEGACY, "Backdoor:EC2/C&CActivity.B!DNS"), planning)

    assert scan == RunRecommendationScan(4, apply=True)
    assert brief(notice) == f"notify:partly-protected-instance:{LEGACY}"
    assert (notice.details["computer_id"], notice.details["computer_name"]) == (4, "demo-legacy-1")
    assert "anti malware is off" in notice.details["gaps"]
    assert "intrusion prevention is in detect mode, not prevent" in notice.details["gaps"]
    assert notice.details["scans"] == ["recommendation_scan"]


async def test_integrity_monitoring_on_a_schedule_still_gets_its_integrity_scan(
    planning: HandlerContext, reseed: Callable[..., None]
) -> None:
    web = next(item for item in seed()["computers"] if item["ID"] == 1)
    scheduled = {"agentStatus": "active", "agentStatusMessage": "On, scheduled"}
    reseed(1, integrityMonitoring={**web["integrityMonitoring"], "state": "on", "moduleStatus": scheduled})

    actions = await plan(finding(WEB_1), planning)

    assert [brief(action) for action in actions] == [
        "recommendation_scan:1",
        "integrity_scan:1",
        f"notify:partly-protected-instance:{WEB_1}",
    ]
    assert actions[-1].details["gaps"] == ["integrity monitoring is not real-time (On, scheduled)"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"computerStatus": {"agentStatus": "inactive", "agentStatusMessages": ["Managed (Offline)"]}}, "inactive"),
        ({"agentFingerPrint": None}, "no activated agent"),
    ],
)
async def test_an_offline_or_unmanaged_agent_gets_a_notice_only(
    changes: dict[str, Any], reason: str, planning: HandlerContext, reseed: Callable[..., None]
) -> None:
    reseed(1, **changes)

    [notice] = await plan(finding(WEB_1), planning)

    assert brief(notice) == f"notify:unprotected-instance:{WEB_1}"
    assert reason in notice.details["reason"]


async def test_the_affected_account_is_the_findings_not_the_receivers(planning: HandlerContext) -> None:
    document = sample_document("guardduty-canary-ec2-1.json")
    document["account"] = "999999999999"
    document["detail"]["resource"]["instanceDetails"]["instanceId"] = "i-0123456789abcdef0"
    document["detail"]["type"] = "UnauthorizedAccess:EC2/SSHBruteForce"

    [notice] = await plan(event_from(document), planning)

    assert notice.details["account"] == "123456789012"


async def test_without_a_notification_channel_the_notice_goes_to_the_log(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = dataclasses.replace(services, notify=None)

    [notice] = await plan(finding("i-0123456789abcdef0"), context(quiet))
    [executed] = await Executor(quiet, MemoryDedupeStore(), window_seconds=60, dry_run=False).execute([notice])

    assert isinstance(notice, Notify)
    assert executed.result == "done"
    logged = capsys.readouterr().out
    assert '"event": "notice"' in logged or "notice" in logged
    assert "i-0123456789abcdef0, which Workload Security does not protect" in logged


async def test_many_findings_about_one_instance_send_one_notice_per_window(
    planning: HandlerContext, notifier: RecordingNotifier, services: Services
) -> None:
    executor = Executor(services, MemoryDedupeStore(), window_seconds=60, dry_run=False)
    for severity in (2.0, 5.0, 8.0):
        await executor.execute(await plan(finding(LEGACY, severity=severity), planning))

    assert [topic for topic, _, _ in notifier.sent] == ["partly-protected-instance"]


async def test_a_retry_plans_the_same_actions(planning: HandlerContext) -> None:
    first = await plan(finding(WEB_1, "Trojan:EC2/DNSDataExfiltration"), planning)
    second = await plan(finding(WEB_1, "Trojan:EC2/DNSDataExfiltration"), planning)

    assert first == second


async def test_retryable_ws_errors_propagate_so_the_message_is_retried(planning: HandlerContext, sandbox: str) -> None:
    admin(sandbox, "POST", "faults", {"error_rate": 1.0, "error_status": 503})

    with pytest.raises(WorkloadSecurityError) as error:
        await plan(finding(WEB_1), planning)

    assert error.value.retryable


async def test_below_min_severity_is_skipped_before_planning() -> None:
    handler = registry({"guardduty": {"min_severity": 7}})["GuardDuty Finding"]

    verdict = handler.triage(finding(WEB_1, severity=5))

    assert verdict.decision is Decision.SKIP
    assert "below min_severity 7" in verdict.reason
