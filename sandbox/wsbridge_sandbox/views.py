"""How the API shows stored objects: ``expand`` on computers, inherited rules and settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wsbridge_sandbox.state import IPS, RULE_MODULES, ScanState, World

MODULE_SECTIONS = (
    "antiMalware",
    "webReputation",
    "activityMonitoring",
    "firewall",
    "intrusionPrevention",
    "integrityMonitoring",
    "logInspection",
    "applicationControl",
)
EXPAND_GROUPS = {"allSecurityModules": MODULE_SECTIONS}


def expanded_sections(values: Iterable[str]) -> set[str] | None:
    """The sections named by ``expand`` values; ``None`` means all (no value, or ``all``)."""
    wanted = set(values)
    if not wanted or "all" in wanted:
        return None
    sections: set[str] = set()
    for value in wanted - {"none"}:
        sections.update(EXPAND_GROUPS.get(value, (value,)))
    return sections


def computer_view(
    world: World, computer_id: int, sections: set[str] | None, *, overrides: bool = False
) -> dict[str, Any]:
    """A computer as ``GET /computers/{id}?expand=...`` shows it.

    Top-level scalars are always there; object-valued sections only when expanded.
    """
    computer = world.computer(computer_id)
    view: dict[str, Any] = {}
    for key, value in computer.items():
        if isinstance(value, dict) and not _wanted(key, sections):
            continue
        view[key] = value
    for module in RULE_MODULES:
        if module in view:
            rules = world.computer_rules(computer_id, overrides=overrides, module=module)
            view[module] = _with_rules(world, view[module], rules, module)
    if _wanted("computerSettings", sections):
        settings = world.computer_settings(computer_id, overrides=overrides)
        view["computerSettings"] = {name: {"value": value} for name, value in sorted(settings.items())}
    return view


def policy_view(world: World, policy_id: int, *, overrides: bool = False) -> dict[str, Any]:
    """A policy as ``GET /policies/{id}`` shows it (inherited rules and settings unless ``overrides``)."""
    policy = dict(world.policy(policy_id))
    for module in RULE_MODULES:
        if module in policy or module == IPS:
            rules = world.policy_rules(policy_id, overrides=overrides, module=module)
            policy[module] = _with_rules(world, policy.get(module) or {}, rules, module)
    settings = world.policy_settings(policy_id, overrides=overrides)
    policy["policySettings"] = {name: {"value": value} for name, value in sorted(settings.items())}
    return policy


def assignments_view(
    world: World, owner: str, owner_id: int, *, overrides: bool = False, module: str = IPS
) -> dict[str, Any]:
    """``IntrusionPreventionAssignments`` (``IntegrityMonitoringAssignments``, ``LogInspectionAssignments``
    for the other modules) of a computer or policy.

    Recommended: the found rules not assigned yet, and the found un-assignments still assigned.
    """
    if owner == "computers":
        assigned = world.computer_rules(owner_id, overrides=overrides, module=module)
        scan: ScanState | None = world.scans.setdefault(owner_id, ScanState())
    else:
        world.policy(owner_id)
        assigned = world.policy_rules(owner_id, overrides=overrides, module=module)
        scan = None
    found = scan.found.get(module, set()) if scan else set()
    unassign = scan.found_unassign.get(module, set()) if scan else set()
    view: dict[str, Any] = {"assignedRuleIDs": sorted(assigned)}
    if module == IPS:
        view["assignedApplicationTypeIDs"] = world.application_types_of(assigned)
    view |= {
        "recommendationScanStatus": scan.status if scan else "none",
        "recommendedToAssignRuleIDs": sorted(found - assigned),
        "recommendedToUnassignRuleIDs": sorted(unassign & assigned),
    }
    if scan is not None and scan.last_scan is not None:
        view["lastRecommendationScanDate"] = scan.last_scan
    return view


def _with_rules(world: World, section: dict[str, Any], rules: set[int], module: str) -> dict[str, Any]:
    shown = {**section, "ruleIDs": sorted(rules)}
    if module == IPS:
        shown["applicationTypeIDs"] = world.application_types_of(rules)
    return shown


def _wanted(section: str, sections: set[str] | None) -> bool:
    if sections is None:
        return True
    if section in sections:
        return True
    return section.endswith("VirtualMachineSummary") and "allVirtualMachineSummaries" in sections
