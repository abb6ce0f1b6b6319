"""The plan for a handled GuardDuty finding, shared by the native and the Security Hub path.

A protected instance (the WS client's one verdict) gets a recommendation scan with the results
applied and an integrity scan, plus the extra actions its threat purpose calls for
(``malware_scan_families``, ``notify_families``). An instance Workload Security does not know or
does not protect gets a notice to people instead, once per instance per window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Action, RunIntegrityScan, RunMalwareScan, RunRecommendationScan
from wsbridge.handlers._shared.instances import look_up
from wsbridge.handlers._shared.notices import (
    FindingSummary,
    guardduty_console_url,
    scanned_notice,
    unprotected_notice,
)
from wsbridge.handlers._shared.plans import unique
from wsbridge.handlers.guardduty.finding import threat_purpose

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext
    from wsbridge.handlers.guardduty.finding import GuardDutyFinding, GuardDutyPolicy


def summary(finding: GuardDutyFinding) -> FindingSummary:
    """What a notice says about a GuardDuty finding (with its GuardDuty console link)."""
    return FindingSummary(
        source="GuardDuty",
        finding_id=finding.finding_id,
        finding_type=finding.finding_type,
        severity=finding.severity,
        account=finding.account,
        region=finding.region,
        console_url=guardduty_console_url(finding.region, finding.finding_id),
    )


def guardduty_scans(computer_id: int, finding_type: str, policy: GuardDutyPolicy) -> list[Action]:
    """A protected instance: apply recommendations, check integrity, and scan for malware when the
    finding's threat purpose is one of ``malware_scan_families``."""
    actions: list[Action] = [RunRecommendationScan(computer_id, apply=True), RunIntegrityScan(computer_id)]
    if threat_purpose(finding_type) in policy.malware_scan_families:
        actions.append(RunMalwareScan(computer_id))
    return actions


async def plan_guardduty(finding: GuardDutyFinding, policy: GuardDutyPolicy, context: HandlerContext) -> list[Action]:
    """Look every instance of ``finding`` up in Workload Security and answer it."""
    ws = context.services.workload_security()
    about = summary(finding)
    actions: list[Action] = []
    for instance_id in finding.instance_ids:
        known = await look_up(instance_id, ws)
        if known is None or not known.verdict.protected:
            actions.append(unprotected_notice(instance_id, about, known))
            continue
        scans = guardduty_scans(known.computer_id, finding.finding_type, policy)
        actions += scans
        if threat_purpose(finding.finding_type) in policy.notify_families:
            actions.append(scanned_notice(known, about, [scan.kind for scan in scans]))
    return unique(actions)
