"""The sandbox's world: computers, policies, IPS rules, application types, scheduled tasks.

Objects are kept in the API's own JSON shape. A computer's ``intrusionPrevention.ruleIDs`` and a
policy's hold the rules assigned *directly* to them; the API shows them merged with what the policy
(and its parents) assign, unless ``overrides=true``. Settings inherit the same way. A computer's
``_sandbox`` object (never shown by the API) holds ``recommendedRuleIDs``: what a recommendation scan
on it will find.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wsbridge_sandbox.http import bad_request, not_found
from wsbridge_sandbox.seeding import check_references, normalize_seed

DEFAULT_SETTINGS = {
    "intrusionPreventionSettingAutoApplyRecommendationsEnabled": "No",
    "integrityMonitoringSettingAutoApplyRecommendationsEnabled": "No",
    "logInspectionSettingAutoApplyRecommendationsEnabled": "No",
    "platformSettingRecommendationOngoingScansInterval": "7 Days",
}
AUTO_APPLY = "intrusionPreventionSettingAutoApplyRecommendationsEnabled"


@dataclass
class ScanState:
    """Recommendation scan bookkeeping of one computer."""

    recommended: set[int] = field(default_factory=set)
    found: set[int] = field(default_factory=set)
    status: str = "none"
    last_scan: int | None = None
    runs: Counter[str] = field(default_factory=Counter)
    """Scans that reached the computer, by task type."""


class World:
    """All objects of one sandbox, in API shape."""

    def __init__(self) -> None:
        self.computers: dict[int, dict[str, Any]] = {}
        self.policies: dict[int, dict[str, Any]] = {}
        self.rules: dict[int, dict[str, Any]] = {}
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
            "intrusionPreventionRules": self.rules,
            "applicationTypes": self.application_types,
        }
        merged = {name: list(table.values()) for name, table in tables.items()} | sections
        check_references(merged)
        for name, objects in sections.items():
            table = tables[name]
            table.clear()
            table.update((int(obj["ID"]), obj) for obj in objects)
        if "computers" in sections:
            self.scans = {
                cid: ScanState(recommended=set((obj.pop("_sandbox", None) or {}).get("recommendedRuleIDs", [])))
                for cid, obj in self.computers.items()
            }
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

    def own_rules(self, obj: dict[str, Any]) -> set[int]:
        """Rules assigned directly to a policy or computer."""
        return set((obj.get("intrusionPrevention") or {}).get("ruleIDs") or [])

    def policy_rules(self, policy_id: int | None, *, overrides: bool = False) -> set[int]:
        """IPS rules of a policy, inherited ones included unless ``overrides``."""
        chain = self.policy_chain(policy_id)
        return set().union(*(self.own_rules(policy) for policy in (chain[:1] if overrides else chain)))

    def computer_rules(self, computer_id: int, *, overrides: bool = False) -> set[int]:
        """IPS rules of a computer: its own, plus its policy's unless ``overrides``."""
        computer = self.computer(computer_id)
        own = self.own_rules(computer)
        return own if overrides else own | self.policy_rules(computer.get("policyID"))

    def with_dependencies(self, rule_ids: set[int]) -> set[int]:
        """``rule_ids`` and every rule they depend on (``dependsOnRuleIDs``), or 400 for unknown rules."""
        unknown = sorted(rule_id for rule_id in rule_ids if rule_id not in self.rules)
        if unknown:
            raise bad_request(f"The intrusion prevention rules do not exist: {unknown}")
        closure, pending = set(), list(rule_ids)
        while pending:
            rule_id = pending.pop()
            if rule_id not in closure and rule_id in self.rules:
                closure.add(rule_id)
                pending.extend(self.rules[rule_id].get("dependsOnRuleIDs") or [])
        return closure

    def set_own_rules(self, obj: dict[str, Any], rule_ids: set[int]) -> None:
        """Store the rules assigned directly to ``obj``."""
        section = obj.setdefault("intrusionPrevention", {})
        section["ruleIDs"] = sorted(rule_ids)
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
                "recommendedRuleIDs": sorted(scan.recommended),
                "recommendationScanStatus": scan.status,
                "lastRecommendationScanDate": scan.last_scan,
                "effectiveRuleIDs": sorted(self.computer_rules(cid)),
                "scans": dict(scan.runs),
            }
            computers.append({**computer, "_sandbox": extra})
        return {
            "computers": computers,
            "policies": [self.policies[k] for k in sorted(self.policies)],
            "intrusionPreventionRules": [self.rules[k] for k in sorted(self.rules)],
            "applicationTypes": [self.application_types[k] for k in sorted(self.application_types)],
            "scheduledTasks": [self.tasks[k] for k in sorted(self.tasks)],
        }


def _setting_values(settings: Any) -> dict[str, str]:
    if not isinstance(settings, dict):
        return {}
    return {name: str(entry.get("value", "")) for name, entry in settings.items() if isinstance(entry, dict)}
