"""The sandbox's world: computers, policies, the rules of three modules, application types, scheduled tasks.

Objects are kept in the API's own JSON shape. A computer's ``intrusionPrevention.ruleIDs`` and a
policy's (likewise ``integrityMonitoring`` and ``logInspection``) hold the rules assigned *directly*
to them; the API shows them merged with what the policy (and its parents) assign, unless
``overrides=true``. Settings inherit the same way. A computer's ``_sandbox`` object (never shown by
the API) holds what a recommendation scan on it will find: ``recommendedRuleIDs`` (IPS rules to
assign) and ``recommendations`` (per module section, ``assign`` and ``unassign`` rule IDs).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wsbridge_sandbox.http import bad_request, not_found
from wsbridge_sandbox.search import ExactIndex
from wsbridge_sandbox.seeding import RULE_SECTIONS, check_references, normalize_seed

DEFAULT_SETTINGS = {
    "intrusionPreventionSettingAutoApplyRecommendationsEnabled": "No",
    "integrityMonitoringSettingAutoApplyRecommendationsEnabled": "No",
    "logInspectionSettingAutoApplyRecommendationsEnabled": "No",
    "platformSettingRecommendationOngoingScansInterval": "7 Days",
}
IPS = "intrusionPrevention"
RULE_MODULES = RULE_SECTIONS
AUTO_APPLY = {module: f"{module}SettingAutoApplyRecommendationsEnabled" for module in RULE_MODULES}
INDEXED_COMPUTER_FIELDS = ("ec2VirtualMachineSummary/instanceID", "noConnectorVirtualMachineSummary/instanceID")
"""Computer fields searched by exact value through an index (instance lookups)."""


@dataclass
class ScanState:
    """Recommendation scan bookkeeping of one computer, rule IDs by module section."""

    recommended: dict[str, set[int]] = field(default_factory=dict)
    unassign: dict[str, set[int]] = field(default_factory=dict)
    found: dict[str, set[int]] = field(default_factory=dict)
    found_unassign: dict[str, set[int]] = field(default_factory=dict)
    status: str = "none"
    last_scan: int | None = None
    runs: Counter[str] = field(default_factory=Counter)
    """Scans that reached the computer, by task type."""

    @classmethod
    def seeded(cls, extra: dict[str, Any]) -> ScanState:
        """From a seeded computer's ``_sandbox`` object."""
        scan = cls()
        for module in RULE_MODULES:
            given = (extra.get("recommendations") or {}).get(module) or {}
            scan.recommended[module] = set(given.get("assign") or [])
            scan.unassign[module] = set(given.get("unassign") or [])
        scan.recommended[IPS] |= set(extra.get("recommendedRuleIDs") or [])
        return scan

    def recommendations(self) -> dict[str, dict[str, list[int]]]:
        """What a scan will find, in the seed's shape."""
        return {
            module: {
                "assign": sorted(self.recommended.get(module, ())),
                "unassign": sorted(self.unassign.get(module, ())),
            }
            for module in RULE_MODULES
        }


class World:
    """All objects of one sandbox, in API shape."""

    def __init__(self) -> None:
        self.computers: dict[int, dict[str, Any]] = {}
        self.computer_index = ExactIndex(self.computers, INDEXED_COMPUTER_FIELDS)
        self.policies: dict[int, dict[str, Any]] = {}
        self.rules: dict[int, dict[str, Any]] = {}
        self.catalogues: dict[str, dict[int, dict[str, Any]]] = {module: {} for module in RULE_MODULES}
        self.catalogues[IPS] = self.rules
        self.application_types: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.task_names: dict[str, int] = {}
        self.scans: dict[int, ScanState] = {}
        self.default_settings = dict(DEFAULT_SETTINGS)
        self.next_task_id = 1
        self._last_ms = 0

    def load(self, seed: Any) -> None:
        """Replace the sections present in ``seed`` (a dict of lists of objects); tasks are dropped."""
        sections = normalize_seed(seed)
        tables = {
            "computers": self.computers,
            "policies": self.policies,
            **{section: self.catalogues[module] for module, section in RULE_MODULES.items()},
            "applicationTypes": self.application_types,
        }
        merged = {name: list(table.values()) for name, table in tables.items()} | sections
        check_references(merged)
        for name, objects in sections.items():
            table = tables[name]
            table.clear()
            table.update((int(obj["ID"]), obj) for obj in objects)
        self.computer_index.invalidate()
        if "computers" in sections:
            self.scans = {cid: ScanState.seeded(obj.pop("_sandbox", None) or {}) for cid, obj in self.computers.items()}
        self.tasks.clear()
        self.task_names.clear()
        self.next_task_id = 1

    def now_ms(self) -> int:
        """Milliseconds since the epoch, strictly increasing between calls."""
        self._last_ms = max(self._last_ms + 1, int(time.time() * 1000))
        return self._last_ms

    def computer(self, computer_id: int) -> dict[str, Any]:
        """The stored computer, or 404."""
        if computer_id not in self.computers:
            raise not_found("computer")
        return self.computers[computer_id]

    def policy(self, policy_id: int) -> dict[str, Any]:
        """The stored policy, or 404."""
        if policy_id not in self.policies:
            raise not_found("policy")
        return self.policies[policy_id]

    def policy_chain(self, policy_id: int | None) -> list[dict[str, Any]]:
        """The policy and its ancestors, root last."""
        chain: list[dict[str, Any]] = []
        while policy_id and policy_id in self.policies and all(p["ID"] != policy_id for p in chain):
            chain.append(self.policies[policy_id])
            policy_id = chain[-1].get("parentID")
        return chain

    def policy_settings(self, policy_id: int | None, *, overrides: bool = False) -> dict[str, str]:
        """Effective settings of a policy (or only its own ones with ``overrides``)."""
        chain = self.policy_chain(policy_id)
        layers = chain[:1] if overrides else list(reversed(chain))
        values = {} if overrides else dict(self.default_settings)
        for policy in layers:
            values.update(_setting_values(policy.get("policySettings")))
        return values

    def computer_settings(self, computer_id: int, *, overrides: bool = False) -> dict[str, str]:
        """Effective settings of a computer: its policy's, then its own."""
        computer = self.computer(computer_id)
        values = {} if overrides else self.policy_settings(computer.get("policyID"))
        values.update(_setting_values(computer.get("computerSettings")))
        return values

    def own_rules(self, obj: dict[str, Any], module: str = IPS) -> set[int]:
        """Rules of ``module`` assigned directly to a policy or computer."""
        return set((obj.get(module) or {}).get("ruleIDs") or [])

    def policy_rules(self, policy_id: int | None, *, overrides: bool = False, module: str = IPS) -> set[int]:
        """Rules of a policy, inherited ones included unless ``overrides``."""
        chain = self.policy_chain(policy_id)
        return set().union(*(self.own_rules(policy, module) for policy in (chain[:1] if overrides else chain)))

    def computer_rules(self, computer_id: int, *, overrides: bool = False, module: str = IPS) -> set[int]:
        """Rules of a computer: its own, plus its policy's unless ``overrides``."""
        computer = self.computer(computer_id)
        own = self.own_rules(computer, module)
        return own if overrides else own | self.policy_rules(computer.get("policyID"), module=module)

    def with_dependencies(self, rule_ids: set[int], module: str = IPS) -> set[int]:
        """``rule_ids`` and every rule they depend on (``dependsOnRuleIDs``), or 400 for unknown rules."""
        rules = self.catalogues[module]
        unknown = sorted(rule_id for rule_id in rule_ids if rule_id not in rules)
        if unknown:
            label = re.sub("([A-Z])", r" \1", module).lower()
            raise bad_request(f"The {label} rules do not exist: {unknown}")
        closure, pending = set(), list(rule_ids)
        while pending:
            rule_id = pending.pop()
            if rule_id not in closure and rule_id in rules:
                closure.add(rule_id)
                pending.extend(rules[rule_id].get("dependsOnRuleIDs") or [])
        return closure

    def set_own_rules(self, obj: dict[str, Any], rule_ids: set[int], module: str = IPS) -> None:
        """Store the rules of ``module`` assigned directly to ``obj``."""
        section = obj.setdefault(module, {})
        section["ruleIDs"] = sorted(rule_ids)
        if module == IPS:
            section["applicationTypeIDs"] = self.application_types_of(rule_ids)

    def application_types_of(self, rule_ids: set[int]) -> list[int]:
        """Application types of the given rules."""
        return sorted(
            {self.rules[r]["applicationTypeID"] for r in rule_ids if self.rules.get(r, {}).get("applicationTypeID")}
        )

    def agent_online(self, computer: dict[str, Any]) -> bool:
        """An activated agent that the manager can reach (scans only run there)."""
        status = (computer.get("computerStatus") or {}).get("agentStatus")
        return bool(computer.get("agentFingerPrint")) and status in ("active", "warning")

    def snapshot(self) -> dict[str, Any]:
        """Everything, as stored (plus each computer's scan bookkeeping under ``_sandbox``)."""
        computers = []
        for cid, computer in sorted(self.computers.items()):
            scan = self.scans.setdefault(cid, ScanState())
            extra = {
                "recommendedRuleIDs": sorted(scan.recommended.get(IPS, ())),
                "recommendations": scan.recommendations(),
                "recommendationScanStatus": scan.status,
                "lastRecommendationScanDate": scan.last_scan,
                "effectiveRuleIDs": sorted(self.computer_rules(cid)),
                "assignedRuleIDs": {module: sorted(self.computer_rules(cid, module=module)) for module in RULE_MODULES},
                "scans": dict(scan.runs),
            }
            computers.append({**computer, "_sandbox": extra})
        return {
            "computers": computers,
            "policies": [self.policies[k] for k in sorted(self.policies)],
            **{section: _listed(self.catalogues[module]) for module, section in RULE_MODULES.items()},
            "applicationTypes": [self.application_types[k] for k in sorted(self.application_types)],
            "scheduledTasks": [self.tasks[k] for k in sorted(self.tasks)],
        }


def _listed(table: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [table[key] for key in sorted(table)]


def _setting_values(settings: Any) -> dict[str, str]:
    if not isinstance(settings, dict):
        return {}
    return {name: str(entry.get("value", "")) for name, entry in settings.items() if isinstance(entry, dict)}
