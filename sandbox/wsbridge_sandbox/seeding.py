"""Seed documents: the six sections, validated and deep-copied before the world takes them."""

from __future__ import annotations

from typing import Any

import orjson

SECTIONS = (
    "computers",
    "policies",
    "intrusionPreventionRules",
    "integrityMonitoringRules",
    "logInspectionRules",
    "applicationTypes",
)
RULE_SECTIONS = {
    "intrusionPrevention": "intrusionPreventionRules",
    "integrityMonitoring": "integrityMonitoringRules",
    "logInspection": "logInspectionRules",
}
"""Module section of a computer or policy -> the seed section of its rules."""
SECTION_ALIASES = {"rules": "intrusionPreventionRules", "application_types": "applicationTypes"}


class SeedError(ValueError):
    """The seed document is not usable."""


def normalize_seed(seed: Any) -> dict[str, list[dict[str, Any]]]:
    """Validate a seed document and return deep copies of its sections."""
    if not isinstance(seed, dict):
        raise SeedError("the seed must be a JSON object")
    unknown = set(seed) - set(SECTIONS) - set(SECTION_ALIASES)
    if unknown:
        raise SeedError(f"unknown seed sections: {sorted(unknown)}")
    sections: dict[str, list[dict[str, Any]]] = {}
    for key, value in seed.items():
        name = SECTION_ALIASES.get(str(key), str(key))
        if not isinstance(value, list) or not all(isinstance(obj, dict) for obj in value):
            raise SeedError(f"{key} must be a list of objects")
        ids = [obj.get("ID") for obj in value]
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise SeedError(f"every object in {key} needs a positive integer ID")
        if len(set(ids)) != len(ids):
            raise SeedError(f"duplicate IDs in {key}")
        sections[name] = orjson.loads(orjson.dumps(value))
    return sections


def check_references(sections: dict[str, list[dict[str, Any]]]) -> None:
    """Policies, rules and parents that objects refer to must exist."""
    policies = {obj["ID"] for obj in sections["policies"]}
    for computer in sections["computers"]:
        if computer.get("policyID") and computer["policyID"] not in policies:
            raise SeedError(f"computer {computer['ID']} uses unknown policy {computer['policyID']}")
    for policy in sections["policies"]:
        if policy.get("parentID") and policy["parentID"] not in policies:
            raise SeedError(f"policy {policy['ID']} has unknown parent {policy['parentID']}")
    for module, section in RULE_SECTIONS.items():
        rules = {obj["ID"] for obj in sections[section]}
        for owner in (*sections["computers"], *sections["policies"]):
            missing = set(_referenced(owner, module)) - rules
            if missing:
                raise SeedError(f"object {owner['ID']} refers to unknown {section} {sorted(missing)}")
    rules = {obj["ID"] for obj in sections["intrusionPreventionRules"]}
    for rule in sections["intrusionPreventionRules"]:
        if set(rule.get("dependsOnRuleIDs") or []) - rules:
            raise SeedError(f"rule {rule['ID']} depends on unknown rules")


def _referenced(owner: dict[str, Any], module: str) -> list[Any]:
    extra = owner.get("_sandbox") or {}
    found = (extra.get("recommendations") or {}).get(module) or {}
    ids = [*((owner.get(module) or {}).get("ruleIDs") or []), *(found.get("assign") or [])]
    ids += found.get("unassign") or []
    return ids + list(extra.get("recommendedRuleIDs") or []) if module == "intrusionPrevention" else ids
