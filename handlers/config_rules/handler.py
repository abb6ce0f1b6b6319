"""The AWS Config handler: custom-rule invocations answered with evaluations, and scans on changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.actions import RunRecommendationScan
from wsbridge.consumer.envelope import CONFIG_RULE_INVOCATION
from wsbridge.consumer.handler import Plan
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers._shared.instances import look_up
from wsbridge.handlers.config_rules.events import (
    COMPLIANCE_CHANGE,
    ITEM_CHANGE,
    ConfigRulesPolicy,
    InstanceChange,
    triage_compliance,
    triage_item_change,
)
from wsbridge.handlers.config_rules.invocation import Invocation, triage_invocation
from wsbridge.handlers.config_rules.plan import plan_invocation

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext, Triage


class ConfigRulesHandler(FindingHandler[Invocation | InstanceChange, ConfigRulesPolicy]):
    """Answers wsbridge's Config rules; scans instances that turn non-compliant or change exposure (by policy)."""

    name = "config_rules"
    sources = {detail_type: ("aws.config",) for detail_type in (COMPLIANCE_CHANGE, ITEM_CHANGE, CONFIG_RULE_INVOCATION)}
    policy_model = ConfigRulesPolicy

    def assess(self, event: Event) -> Triage:
        """Route by detail-type; only EC2 instances are evaluated or scanned."""
        if event.detail_type == CONFIG_RULE_INVOCATION:
            return triage_invocation(event)
        if event.detail_type == COMPLIANCE_CHANGE:
            return triage_compliance(event, self.options)
        return triage_item_change(event, self.options)

    async def respond(self, finding: Invocation | InstanceChange, context: HandlerContext) -> Plan:
        """Evaluations for an invocation; a recommendation scan for an instance that needs one."""
        if isinstance(finding, Invocation):
            return await plan_invocation(finding, test_mode=self.options.test_mode, context=context)
        known = await look_up(finding.instance_id, context.services.workload_security())
        if known is None:
            return Plan.nothing(f"{finding.instance_id} is not known to Workload Security")
        if finding.protected_only and not known.verdict.protected:
            return Plan.nothing(f"{known.name} is not protected: {'; '.join(known.verdict.reasons)}")
        if not (known.verdict.managed and known.verdict.agent_active):
            return Plan.nothing(f"{known.name} has no active agent to scan")
        return Plan.of([RunRecommendationScan(known.computer_id, apply=True)], otherwise=finding.why)
