"""The Macie handler: ``Macie Finding`` events, and the retired ``Macie Alert`` (skipped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Plan, Targets, Triage
from wsbridge.handlers._shared.handler import PolicyHandler
from wsbridge.handlers.macie.finding import NOT_IMPLEMENTED, MaciePolicy, decide, read_event

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

MACIE_ALERT = "Macie Alert"


class MacieHandler(PolicyHandler[MaciePolicy]):
    """``Macie Finding`` events are read and decided; ``Macie Alert`` (Macie Classic) is skipped."""

    name = "macie"
    sources = {"Macie Finding": ("aws.macie",), MACIE_ALERT: ("aws.macie",)}
    policy_model = MaciePolicy

    def assess(self, event: Event) -> Triage:
        """Skip Macie Classic alerts; read and decide Macie findings."""
        if event.detail_type == MACIE_ALERT:
            alert = event.detail.get("alert-arn")
            targets = Targets(
                account=event.account or None,
                region=event.region or None,
                finding_id=alert if isinstance(alert, str) else None,
            )
            return Triage.skip("Macie Classic alert: Macie Classic is retired and its alerts name no bucket", targets)
        return decide(read_event(event), self.options)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """Nothing: :func:`~wsbridge.handlers.macie.finding.decide` never hands a finding on."""
        return Plan.nothing(NOT_IMPLEMENTED)
