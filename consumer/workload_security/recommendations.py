"""Applying a recommendation scan's results to a computer.

Per module, the computer's ``recommendedToAssignRuleIDs`` are added and, when asked, each of its
``recommendedToUnassignRuleIDs`` is removed; rules that are not recommended are never touched. The
modules come from :class:`RecommendationModules`: intrusion prevention only, or also integrity
monitoring and log inspection (in that order).
"""

from __future__ import annotations

from collections.abc import Mapping

from wsbridge.consumer.workload_security.assignments import (
    RULE_MODULES,
    RuleModule,
    add_rules,
    read_assignments,
    remove_rule,
)
from wsbridge.consumer.workload_security.models import IpsAssignments, RuleAssignments
from wsbridge.consumer.workload_security.options import RecommendationModules
from wsbridge.consumer.workload_security.transport import Transport

APPLIED: dict[RecommendationModules, tuple[RuleModule, ...]] = {
    RecommendationModules.IPS: ("intrusionprevention",),
    RecommendationModules.ALL: RULE_MODULES,
}
AUTO_APPLY_SETTINGS: dict[RuleModule, str] = {
    "intrusionprevention": "intrusionPreventionSettingAutoApplyRecommendationsEnabled",
    "integritymonitoring": "integrityMonitoringSettingAutoApplyRecommendationsEnabled",
    "loginspection": "logInspectionSettingAutoApplyRecommendationsEnabled",
}
_MODELS: dict[RuleModule, type[RuleAssignments]] = {
    "intrusionprevention": IpsAssignments,
    "integritymonitoring": RuleAssignments,
    "loginspection": RuleAssignments,
}


async def apply_recommendations(
    transport: Transport,
    computer_id: int,
    modules: RecommendationModules,
    *,
    unassign: bool,
    known: Mapping[RuleModule, RuleAssignments] | None = None,
) -> None:
    """Apply the computer's current recommendations of ``modules``; ``known`` holds assignments already
    read after the scan (not read again)."""
    for module in APPLIED[modules]:
        current = (known or {}).get(module)
        if current is None:
            current = await read_assignments(transport, module, "computers", computer_id, _MODELS[module])
        await add_rules(
            transport, module, "computers", computer_id, current.recommended_to_assign_rule_ids, _MODELS[module]
        )
        if unassign:
            for rule_id in sorted(set(current.recommended_to_unassign_rule_ids)):
                await remove_rule(transport, module, "computers", computer_id, rule_id)
