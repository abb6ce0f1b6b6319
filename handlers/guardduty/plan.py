"""The plan for a handled GuardDuty finding, shared by the native and the Security Hub path.

Protection is graded by the WS client's one verdict. A fully protected instance gets a
recommendation scan with the results applied and an integrity scan, plus the extra actions its
threat purpose calls for (``malware_scan_families``, ``notify_families``). A managed, online agent
with gaps (integrity monitoring on a schedule, IPS detecting, a module off) gets the scans its
modules support and a notice naming the gaps. An instance Workload Security does not know, or whose
agent is unmanaged or offline, gets a notice to people instead. Notices go once per instance per window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Action, RunIntegrityScan, RunMalwareScan, RunRecommendationScan
from wsbridge.handlers._shared.instances import look_up
from wsbridge.handlers._shared.notices import (
    FindingSummary,
    guardduty_console_url,
    partly_protected_notice,
    scanned_notice,
    unprotected_notice,
)
from wsbridge.handlers._shared.plans import applies_integrity_rules, unique
from wsbridge.handlers.guardduty.finding import threat_purpose

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext
    from wsbridge.consumer.workload_security import ProtectionVerdict
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


def guardduty_scans(
    verdict: ProtectionVerdict, finding_type: str, policy: GuardDutyPolicy, *, integrity_rules: bool = False
) -> list[Action]:
    """Apply recommendations, check integrity, and scan for malware when the finding's threat purpose is
    one of ``malware_scan_families``: each scan only when the agent's modules support it.
    ``integrity_rules``: the applied results change integrity monitoring rules (see :func:`applies_integrity_rules`)."""
    computer_id = verdict.computer_id
    actions: list[Action] = []
    if verdict.can_scan("recommendation"):
        actions.append(RunRecommendationScan(computer_id, apply=True, integrity_rules=integrity_rules))
    if verdict.can_scan("integrity"):
        actions.append(RunIntegrityScan(computer_id))
    if threat_purpose(finding_type) in policy.malware_scan_families and verdict.can_scan("malware"):
        actions.append(RunMalwareScan(computer_id))
    return actions


async def plan_guardduty(finding: GuardDutyFinding, policy: GuardDutyPolicy, context: HandlerContext) -> list[Action]:
    """Look every instance of ``finding`` up in Workload Security and answer it."""
    ws = context.services.workload_security()
    about = summary(finding)
    actions: list[Action] = []
    for instance_id in finding.instance_ids:
        known = await look_up(instance_id, ws)
        if known is None or not known.verdict.reachable:
            actions.append(unprotected_notice(instance_id, about, known))
            continue
        integrity_rules = applies_integrity_rules(context.settings)
        scans = guardduty_scans(known.verdict, finding.finding_type, policy, integrity_rules=integrity_rules)
        actions += scans
        if not known.verdict.protected:
            actions.append(partly_protected_notice(known, about, [scan.kind for scan in scans]))
        elif threat_purpose(finding.finding_type) in policy.notify_families:
            actions.append(scanned_notice(known, about, [scan.kind for scan in scans]))
    return unique(actions)
