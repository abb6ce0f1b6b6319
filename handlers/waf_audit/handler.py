"""``Scheduled Event``: the firing of the WAF audit schedule starts the WAF coverage audit.

The schedule is ``WSBRIDGE_WAF_AUDIT_RULE`` (a rule or Scheduler schedule name, or its ARN); other
schedules are skipped. The plan adds each missing rule group when the policy says ``apply = true``
and always sends the summary as a ``waf-audit`` notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wsbridge.consumer.actions import Action, Notify
from wsbridge.consumer.handler import Plan, Targets, Triage
from wsbridge.consumer.settings import WafAuditSettings
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers.waf_audit.audit import run_audit
from wsbridge.handlers.waf_audit.policy import WafAuditPolicy
from wsbridge.handlers.waf_audit.schedule import Firing, read_firing, refusal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

SCHEDULE = "schedule"
TOPIC = "waf-audit"


class WafAuditHandler(FindingHandler[Firing, WafAuditPolicy]):
    """Firings of the WAF audit schedule, audited; every other schedule skipped."""

    name = "waf_audit"
    sources = {"Scheduled Event": ("aws.events", "aws.scheduler")}
    policy_model = WafAuditPolicy

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        """Read the policy table, and the audit schedule from ``WSBRIDGE_WAF_AUDIT_RULE``."""
        super().__init__(policy)
        self.rule = WafAuditSettings().waf_audit_rule

    def assess(self, event: Event) -> Triage:
        """Handle the audit schedule's firings; skip the others, saying why."""
        firing = read_firing(event)
        targets = Targets(firing.account, firing.region, finding_id=firing.schedule, resource_type=SCHEDULE)
        reason = refusal(firing, self.rule)
        if reason is not None:
            return Triage.skip(reason, targets)
        return Triage.handle(f"WAF audit scheduled by {firing.schedule}", targets).about(firing)

    async def respond(self, finding: Firing, context: HandlerContext) -> Plan:
        """Audit, then plan the missing rule groups (with ``apply``) and the summary notice."""
        result = await run_audit(context.services, context.settings, self.options)
        summary = result.summary()
        actions: list[Action] = list(result.additions) if self.options.apply else []
        subject = (
            f"WAF audit: {summary['front_doors']} front doors, {len(summary['gaps'])} without a web ACL, "
            f"{summary['rule_groups_missing']} missing a rule group"
        )
        actions.append(Notify(TOPIC, subject, {**summary, "schedule": finding.schedule, "apply": self.options.apply}))
        return Plan.of(actions, otherwise="nothing to report")
