"""The ``GuardDuty Finding`` handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Plan, Triage
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers.guardduty.finding import GuardDutyFinding, GuardDutyPolicy, decide, read_event
from wsbridge.handlers.guardduty.plan import plan_guardduty

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext


class GuardDutyHandler(FindingHandler[GuardDutyFinding, GuardDutyPolicy]):
    """``GuardDuty Finding`` events: scans for protected EC2 instances, a notice for the others."""

    name = "guardduty"
    sources = {"GuardDuty Finding": ("aws.guardduty",)}
    policy_model = GuardDutyPolicy

    def assess(self, event: Event) -> Triage:
        """Read the finding and apply :func:`~wsbridge.handlers.guardduty.finding.decide`."""
        return decide(read_event(event), self.options)

    async def respond(self, finding: GuardDutyFinding, context: HandlerContext) -> Plan:
        """Scans for a protected instance, a notice for the others."""
        actions = await plan_guardduty(finding, self.options, context)
        return Plan.of(actions, otherwise=f"GuardDuty finding {finding.finding_id} names no instance to act on")
