"""The Inspector handlers: ``Inspector2 Finding`` events and Inspector Classic SNS notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.envelope import SNS_NOTIFICATION
from wsbridge.consumer.handler import Decision, Plan, Triage
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers.inspector.classic import ClassicNotification, InspectorClassicPolicy, assess_notification
from wsbridge.handlers.inspector.classic_lookup import classic_finding, describe_finding
from wsbridge.handlers.inspector.finding import InspectorFinding, InspectorPolicy, decide, read_event
from wsbridge.handlers.inspector.plan import ALREADY_IN_EFFECT, plan_inspector

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext


class InspectorHandler(FindingHandler[InspectorFinding, InspectorPolicy]):
    """``Inspector2 Finding`` events: IPS rules that cover the CVE, for the affected computer."""

    name = "inspector"
    sources = {"Inspector2 Finding": ("aws.inspector2",)}
    policy_model = InspectorPolicy

    def assess(self, event: Event) -> Triage:
        """Read the finding and apply :func:`~wsbridge.handlers.inspector.finding.decide`."""
        return decide(read_event(event), self.options)

    async def respond(self, finding: InspectorFinding, context: HandlerContext) -> Plan:
        """IPS rules for the CVE, or a recommendation scan for a reachability finding."""
        actions = await plan_inspector(finding, self.options, context)
        return Plan.of(actions, otherwise=f"Inspector finding {finding.finding_id}: {ALREADY_IN_EFFECT}")


class InspectorClassicHandler(FindingHandler[ClassicNotification, InspectorClassicPolicy]):
    """``SNS Notification`` bodies: Inspector Classic ``FINDING_REPORTED``; other notifications are refused."""

    name = "inspector_classic"
    sources = {SNS_NOTIFICATION: ("aws.sns",)}
    policy_model = InspectorClassicPolicy

    def assess(self, event: Event) -> Triage:
        """Recognise the notification; act only when ``classic_lookups`` is on."""
        return assess_notification(event, self.options)

    async def respond(self, finding: ClassicNotification, context: HandlerContext) -> Plan:
        """Describe the finding, decide it like an Inspector2 finding, and plan it the same way."""
        raw = await describe_finding(finding.finding_arn, context)
        described = classic_finding(raw, finding.finding_arn, updated_fallback=finding.reported)
        verdict = decide(described, self.options)
        if verdict.decision is not Decision.HANDLE:
            return Plan.nothing(f"the described finding is not acted on: {verdict.reason}")
        actions = await plan_inspector(described, self.options, context, source="Inspector Classic")
        return Plan.of(actions, otherwise=f"Inspector Classic finding {finding.finding_arn}: {ALREADY_IN_EFFECT}")
