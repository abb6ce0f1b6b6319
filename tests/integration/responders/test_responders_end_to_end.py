"""GuardDuty, Inspector and Security Hub findings through LocalStack, the daemon and the WS sandbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from responders import (
    Notifications,
    SandboxLog,
    asff_copy,
    demo_instances,
    guardduty_finding,
    inspector_finding,
)
from support.daemon import Daemon, QueueUnderTest, wait_for

RECOMMENDATION = "scan-for-recommendations"
INTEGRITY = "scan-for-integrity-changes"
FINAL = ("success", "skipped", "duplicate", "dead_letter")


def finished(daemon: Daemon, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The canonical lines of ``count`` messages that reached a final outcome."""

    def done() -> list[dict[str, Any]] | None:
        lines = [line for line in daemon.message_lines() if line.get("outcome") in FINAL]
        return lines if len(lines) >= count else None

    lines: list[dict[str, Any]] = wait_for(done, timeout, what=f"{count} finished messages")
    return lines


def test_a_guardduty_finding_on_a_protected_instance_is_one_applied_recommendation_scan_and_one_integrity_scan(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog
) -> None:
    daemon = responder()
    finding = guardduty_finding(demo_instances()["demo-web-1"])
    events = boto3.client("events")
    rule = f"wsbridge-test-{uuid.uuid4().hex[:10]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"detail": {"id": [finding["detail"]["id"]]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue.arn}])
    try:
        entry = {
            "Source": finding["source"],
            "DetailType": finding["detail-type"],
            "Detail": json.dumps(finding["detail"]),
        }
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        [line] = finished(daemon, 1)
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)

    web_1 = sandbox.computer_id("demo-web-1")
    assert line["outcome"] == "success", line
    assert sorted(sandbox.scans()) == sorted([(RECOMMENDATION, web_1), (INTEGRITY, web_1)])
    applied = [
        call for call in sandbox.writes() if call["path"] == f"/api/computers/{web_1}/intrusionprevention/assignments"
    ]
    assert [call["body"]["ruleIDs"] for call in applied] == [[2874, 4410]], "the recommendations were applied"
    assert [action["action"] for action in line["actions"]] == ["recommendation_scan", "integrity_scan"]


def test_an_inspector_finding_assigns_the_covering_rule_to_the_instances_policy(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog
) -> None:
    daemon = responder()
    queue.send(json.dumps(inspector_finding(demo_instances()["demo-web-2"])))

    [line] = finished(daemon, 1)

    assert line["outcome"] == "success", line
    assert [(call["path"], call["body"]) for call in sandbox.writes()] == [
        ("/api/policies/2/intrusionprevention/assignments", {"ruleIDs": [4305]})
    ]


def test_a_burst_of_50_findings_about_3_instances_costs_at_most_3_scan_pairs(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog
) -> None:
    daemon = responder()
    instances = demo_instances()
    targets = [instances["demo-web-1"], instances["demo-web-2"], instances["demo-db-1"]]
    for number in range(50):
        finding = guardduty_finding(targets[number % 3], "Recon:EC2/PortProbeUnprotectedPort")
        queue.send(json.dumps(finding))

    lines = finished(daemon, 50, timeout=60)

    assert {line["outcome"] for line in lines} == {"success"}
    scans = sandbox.scans()
    computers = {sandbox.computer_id(name) for name in ("demo-web-1", "demo-web-2", "demo-db-1")}
    assert len(scans) <= 6
    assert sorted(scans) == sorted({scan for scan in scans}), "no scan twice on one computer"
    assert {computer for _, computer in scans} <= computers
    coalesced = sum(action["result"] == "coalesced" for line in lines for action in line["actions"])
    assert coalesced >= 2 * 50 - len(scans)


def test_the_same_finding_natively_and_through_security_hub_is_acted_on_once(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog
) -> None:
    daemon = responder()
    native = guardduty_finding(demo_instances()["demo-web-2"])
    queue.send(json.dumps(native))
    queue.send(json.dumps(asff_copy(native)))

    lines = finished(daemon, 2)

    web_2 = sandbox.computer_id("demo-web-2")
    assert sorted(line["outcome"] for line in lines) == ["duplicate", "success"]
    assert {line["handler"] for line in lines} == {"guardduty", "securityhub"}
    assert sorted(sandbox.scans()) == sorted([(RECOMMENDATION, web_2), (INTEGRITY, web_2)])


def test_findings_on_a_partly_protected_instance_get_its_scans_and_notify_the_team_once(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog, notifications: Notifications
) -> None:
    daemon = responder()
    legacy = demo_instances()["demo-legacy-1"]
    for _ in range(3):
        queue.send(json.dumps(guardduty_finding(legacy)))

    finished(daemon, 3)

    [notice] = notifications.received()
    assert (notice["source"], notice["topic"]) == ("wsbridge", "partly-protected-instance")
    details = notice["details"]
    assert (details["instance_id"], details["account"], details["region"]) == (legacy, "123456789012", "us-east-1")
    assert details["finding_type"] == "UnauthorizedAccess:EC2/SSHBruteForce"
    assert details["console_url"].startswith("https://us-east-1.console.aws.amazon.com/guardduty/")
    assert "anti malware is off" in details["gaps"]
    assert details["scans"] == ["recommendation_scan"]
    assert sandbox.scans() == [(RECOMMENDATION, sandbox.computer_id("demo-legacy-1"))]


def test_an_uncovered_cve_is_counted_and_reported(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog, notifications: Notifications
) -> None:
    daemon = responder()
    queue.send(json.dumps(inspector_finding(demo_instances()["demo-web-2"], cve="CVE-2099-0001")))

    [line] = finished(daemon, 1)

    assert line["outcome"] == "success", line
    assert daemon.metric("wsbridge_uncovered_cves_total") == 1
    [notice] = notifications.received()
    assert (notice["topic"], notice["details"]["cve"]) == ("uncovered-cve", "CVE-2099-0001")
    assert [(call["method"], call["path"], call["body"]) for call in sandbox.writes()] == []


def test_with_all_modules_the_integrity_scan_starts_after_every_recommendation_is_applied(
    responder: Callable[..., Daemon], queue: QueueUnderTest, sandbox: SandboxLog
) -> None:
    daemon = responder(ws_recommendation_modules="all")
    queue.send(json.dumps(guardduty_finding(demo_instances()["demo-web-1"])))
    [line] = finished(daemon, 1)

    web_1 = sandbox.computer_id("demo-web-1")
    assert line["outcome"] == "success", line
    writes = [(call["path"].removeprefix(f"/api/computers/{web_1}/"), call["body"]) for call in sandbox.writes()]
    tasks = [body["type"] for path, body in writes if path == "/api/scheduledtasks"]
    assert tasks == [RECOMMENDATION, INTEGRITY]
    assert [(path, body) for path, body in writes if path.endswith("/assignments")] == [
        ("intrusionprevention/assignments", {"ruleIDs": [2874, 4410]}),
        ("integritymonitoring/assignments", {"ruleIDs": [7001, 7003]}),
        ("loginspection/assignments", {"ruleIDs": [8002, 8004]}),
    ]
    assert [path for path, _ in writes][-1] == "/api/scheduledtasks", "the integrity scan runs on the applied rules"
