"""The plan for a handled Inspector finding (Inspector2, Inspector Classic, or either through Security Hub).

A package vulnerability on an instance with an activated agent gets the Intrusion Prevention rules
that list the CVE (plus the rules they depend on), assigned where ``assign_to`` says, skipping the
rules already assigned there. IPS that is off or detect-only at that place is said in a notice. A CVE
no rule covers is counted (``wsbridge_uncovered_cves_total``) and reported. A network-reachability
finding gets a recommendation scan (when the policy routes it here). Instances Workload Security does
not know, or that have no activated agent, get a notice to people instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Action, AssignIpsRules, RunRecommendationScan
from wsbridge.consumer.report_actions import RecordUncoveredCve
from wsbridge.handlers._shared.instances import KnownInstance, look_up
from wsbridge.handlers._shared.notices import (
    FindingSummary,
    instance_console_url,
    ips_not_preventing_notice,
    uncovered_cve_notice,
    unprotected_notice,
)
from wsbridge.handlers._shared.plans import unique
from wsbridge.handlers.inspector.finding import is_cve

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext
    from wsbridge.consumer.workload_security import WorkloadSecurityClient
    from wsbridge.handlers.inspector.finding import InspectorFinding, InspectorPolicy

PREVENT = "prevent"
ALREADY_IN_EFFECT = "the IPS rules that cover its CVEs are already assigned, in prevent mode"


def summary(finding: InspectorFinding, source: str = "Inspector") -> FindingSummary:
    """What a notice says about an Inspector finding."""
    instance = finding.instance_ids[0] if finding.instance_ids else ""
    return FindingSummary(
        source=source,
        finding_id=finding.finding_id,
        finding_type=finding.finding_type,
        severity=finding.severity,
        account=finding.account,
        region=finding.region,
        console_url=instance_console_url(finding.region, instance) if instance else None,
    )


async def plan_inspector(
    finding: InspectorFinding, policy: InspectorPolicy, context: HandlerContext, *, source: str = "Inspector"
) -> list[Action]:
    """Look every instance of ``finding`` up in Workload Security and answer it."""
    ws = context.services.workload_security()
    about = summary(finding, source)
    actions: list[Action] = []
    for instance_id in finding.instance_ids:
        known = await look_up(instance_id, ws)
        if known is None or not known.verdict.managed:
            actions.append(unprotected_notice(instance_id, about, known))
        elif finding.finding_type == "NETWORK_REACHABILITY":
            actions += reachability_scan(known, about)
        else:
            for cve in filter(is_cve, finding.cves):
                actions += await shield(known, cve.upper(), finding, policy, about, ws)
    return unique(actions)


def reachability_scan(known: KnownInstance, about: FindingSummary) -> list[Action]:
    """A recommendation scan (results applied) when the agent is online to run it, else a notice."""
    if not known.verdict.agent_active:
        return [unprotected_notice(known.instance_id, about, known)]
    return [RunRecommendationScan(known.computer_id, apply=True)]


async def shield(
    known: KnownInstance,
    cve: str,
    finding: InspectorFinding,
    policy: InspectorPolicy,
    about: FindingSummary,
    ws: WorkloadSecurityClient,
) -> list[Action]:
    """The IPS rules for ``cve`` on ``known``'s policy or computer, or the report that no rule covers it."""
    rules = await ws.ips_rules_for_cve(cve)
    if not any(rule.covers(cve) for rule in rules):
        uncovered: list[Action] = [RecordUncoveredCve(cve, known.instance_id, finding.finding_id)]
        if finding.attack_vector is None or finding.attack_vector in policy.uncovered_notice_vectors:
            uncovered.append(uncovered_cve_notice(cve, known.instance_id, about))
        return uncovered
    on_policy = policy.assign_to == "policy" and known.policy_id is not None and not protected(known, policy)
    target = f"policy {known.policy_id}" if on_policy else f"computer {known.computer_id}"
    assigned = await assigned_rules(known, ws, on_policy=on_policy)
    rule_ids = sorted(rule.id for rule in rules)
    actions: list[Action] = []
    assignment = ips_assignment(
        [rule_id for rule_id in rule_ids if rule_id not in assigned],
        cve,
        policy,
        policy_id=known.policy_id if on_policy else None,
        computer_id=known.computer_id,
    )
    if assignment is not None:
        actions.append(assignment)
    mode = ips_mode(known, on_policy=on_policy)
    if mode != PREVENT:
        actions.append(ips_not_preventing_notice(known, target, mode, cve, rule_ids, about))
    return actions


async def assigned_rules(known: KnownInstance, ws: WorkloadSecurityClient, *, on_policy: bool) -> set[int]:
    """The IPS rules already in effect on the policy (``on_policy``) or on the computer."""
    if on_policy and known.policy_id is not None:
        section = known.policy.intrusion_prevention if known.policy else None
        if section is not None:
            return set(section.rule_ids)
        return set((await ws.policy_ips_assignments(known.policy_id)).assigned_rule_ids)
    if known.computer.intrusion_prevention is not None:
        return set(known.computer.intrusion_prevention.rule_ids)
    return set((await ws.computer_ips_assignments(known.computer_id)).assigned_rule_ids)


def protected(known: KnownInstance, policy: InspectorPolicy) -> bool:
    """Whether the computer's policy is one that ``protected_policies`` names (by name or ID)."""
    names = {name.strip().casefold() for name in policy.protected_policies}
    own = known.policy
    return str(known.policy_id) in names or (own is not None and (own.name or "").strip().casefold() in names)


def ips_mode(known: KnownInstance, *, on_policy: bool) -> str | None:
    """The IPS state where the rules go: the policy's own state, else the computer's (``None`` if unknown)."""
    if on_policy and known.policy is not None and known.policy.intrusion_prevention is not None:
        state = known.policy.intrusion_prevention.state
        if state and state != "inherited":
            return state
    return known.verdict.intrusion_prevention_mode


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
