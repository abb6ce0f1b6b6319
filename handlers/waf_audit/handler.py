"""``Scheduled Event``: an EventBridge scheduled rule or an EventBridge Scheduler default payload.

A firing would start the WAF coverage audit; the audit is not built yet, so every firing is
skipped with that reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Plan, Targets, Triage
from wsbridge.handlers._shared.handler import PolicyHandler
from wsbridge.handlers._shared.policy import Policy

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

SCHEDULE = "schedule"
NOT_IMPLEMENTED = "the WAF audit is not implemented, so wsbridge does nothing on a schedule"


class WafAuditPolicy(Policy):
    """The ``[waf_audit]`` table (no settings yet; unknown keys are refused)."""


class WafAuditHandler(PolicyHandler[WafAuditPolicy]):
    """``Scheduled Event`` firings, read and skipped: the WAF audit is not built yet."""

    name = "waf_audit"
    sources = {"Scheduled Event": ("aws.events", "aws.scheduler")}
    policy_model = WafAuditPolicy

    def assess(self, event: Event) -> Triage:
        """Name the schedule (rule or Scheduler ARN) and skip."""
        schedule = event.resources[0] if event.resources else None
        targets = Targets(
            account=event.account or None,
            region=event.region or None,
            finding_id=schedule,
            resource_type=SCHEDULE,
        )
        return Triage.skip(f"scheduled run from {schedule or event.source}: {NOT_IMPLEMENTED}", targets)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """Nothing: every firing is skipped at triage."""
        return Plan.nothing(NOT_IMPLEMENTED)
