"""The Workload Security responses a plan is made of, once the affected computer has been looked up.

Pure functions from (finding, computer, policy) to actions, so the planning that reads Workload
Security only decides *which* computer and rules apply and these decide *what* to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wsbridge.consumer.actions import (
    Action,
    AssignIpsRules,
    RunIntegrityScan,
    RunMalwareScan,
    RunRecommendationScan,
)

if TYPE_CHECKING:
    from wsbridge.handlers.guardduty import GuardDutyPolicy
    from wsbridge.handlers.inspector import InspectorPolicy


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


def ips_assignment(
    rule_ids: Iterable[int], cve: str, policy: InspectorPolicy, *, policy_id: int | None, computer_id: int
) -> AssignIpsRules | None:
    """Assign the rules that cover ``cve`` where ``assign_to`` says (the computer when it has no policy)."""
    rules = tuple(sorted(set(rule_ids)))
    if not rules:
        return None
    if policy.assign_to == "policy" and policy_id is not None:
        return AssignIpsRules(rules, policy_id=policy_id, cve=cve)
    return AssignIpsRules(rules, computer_id=computer_id, cve=cve)


def unique(actions: Iterable[Action]) -> list[Action]:
    """``actions`` in order without repeats: the first action of each coalescing key (and equal actions) only."""
    seen: set[str] = set()
    kept: list[Action] = []
    for action in actions:
        key = action.coalesce_key or repr(action)
        if key not in seen:
            seen.add(key)
            kept.append(action)
    return kept
