"""The responses a plan is made of, once the affected computer has been looked up in Workload Security.

Pure functions from (finding, computer, policy) to actions, so the planning that reads Workload
Security only decides *which* computer and rules apply and these decide *what* to do.
"""

from __future__ import annotations

from typing import Any

from consumer.actions import (
    Action,
    AssignIpsRules,
    Notify,
    RunIntegrityScan,
    RunMalwareScan,
    RunRecommendationScan,
)
from handlers.guardduty import GuardDutyPolicy
from handlers.inspector import InspectorPolicy

UNPROTECTED_TOPIC = "unprotected-instance"


def threat_purpose(finding_type: str) -> str:
    """The part of a GuardDuty finding type before ``:`` (``Backdoor`` in ``Backdoor:EC2/C&CActivity.B``)."""
    return finding_type.partition(":")[0]


def guardduty_scans(computer_id: int, finding_type: str, policy: GuardDutyPolicy) -> list[Action]:
    """A protected instance: apply recommendations, check integrity, and scan for malware when the
    finding's threat purpose is one of ``malware_scan_families``."""
    actions: list[Action] = [RunRecommendationScan(computer_id, apply=True), RunIntegrityScan(computer_id)]
    if threat_purpose(finding_type) in policy.malware_scan_families:
        actions.append(RunMalwareScan(computer_id))
    return actions


def unprotected_notice(instance_id: str, reason: str, details: dict[str, Any] | None = None) -> Notify:
    """An instance Workload Security does not protect (or does not know): tell people, once per instance."""
    return Notify(
        topic=UNPROTECTED_TOPIC,
        subject=f"{instance_id} is not protected by Workload Security: {reason}",
        details={"instance_id": instance_id, **(details or {})},
        dedupe_key=f"{UNPROTECTED_TOPIC}:{instance_id}",
    )


def ips_assignment(
    rule_ids: list[int], cve: str, policy: InspectorPolicy, *, policy_id: int | None, computer_id: int
) -> AssignIpsRules | None:
    """Assign the rules that cover ``cve`` where ``assign_to`` says (the computer when it has no policy)."""
    if not rule_ids:
        return None
    rules = tuple(sorted(set(rule_ids)))
    if policy.assign_to == "policy" and policy_id is not None:
        return AssignIpsRules(rules, policy_id=policy_id, cve=cve)
    return AssignIpsRules(rules, computer_id=computer_id, cve=cve)
