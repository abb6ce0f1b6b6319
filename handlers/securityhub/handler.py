"""Security Hub events: unwrap the ASFF findings and answer each with its native integration.

A ``Custom Action`` event is a user's explicit request: it bypasses the sample, archived and
severity filters and is not de-duplicated against earlier copies of the finding.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Plan, Triage
from wsbridge.consumer.json_types import json_type
from wsbridge.handlers._shared.fields import InvalidField, Node
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers.securityhub.asff import product_of
from wsbridge.handlers.securityhub.plan import AsffReading, plan_findings
from wsbridge.handlers.securityhub.policy import SecurityHubPolicy
from wsbridge.handlers.securityhub.products import PRODUCTS
from wsbridge.handlers.securityhub.verdicts import combine, summary_targets

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

IMPORTED = "Security Hub Findings - Imported"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
CONTROL_PRODUCT = "aws/securityhub"


class SecurityHubHandler(FindingHandler[tuple[AsffReading, ...], SecurityHubPolicy]):
    """``Security Hub Findings - Imported`` and ``- Custom Action`` (ASFF)."""

    name = "securityhub"
    sources = {IMPORTED: ("aws.securityhub",), CUSTOM_ACTION: ("aws.securityhub",)}
    policy_model = SecurityHubPolicy
    inherits_policies = ("guardduty", "inspector", "macie")

    def assess(self, event: Event) -> Triage:
        """Decide every finding in ``detail.findings`` and combine the verdicts."""
        findings = Node(event.detail, "detail").child("findings")
        if not isinstance(findings.value, list):
            return Triage.reject(f"detail.findings is a JSON {json_type(findings.value)}, not an array")
        if not findings.value:
            return Triage.reject("detail.findings is empty")
        explicit = event.detail_type == CUSTOM_ACTION
        readings = tuple(self._read(finding, event, explicit) for finding in findings.items())
        verdict = combine([reading.triage for reading in readings]).about(readings)
        return dataclasses.replace(verdict, finding_key=None) if explicit else verdict

    def _read(self, finding: Node, event: Event, explicit: bool) -> AsffReading:
        try:
            if not isinstance(finding.value, dict):
                raise InvalidField(f"{finding.path} is a JSON {json_type(finding.value)}, not an object")
            name = product_of(finding)
            summary = summary_targets(finding.value, event)
            if name == CONTROL_PRODUCT:
                return AsffReading(
                    Triage.skip("Security Hub control finding, not a threat or vulnerability finding", summary)
                )
            product = PRODUCTS.get(name)
            if product is None:
                return AsffReading(Triage.skip(f"Security Hub finding from product {name} is not handled", summary))
            if product.name not in self.options.products:
                return AsffReading(
                    Triage.skip(f"{product.name} findings via Security Hub are off (products setting)", summary)
                )
            native = product.read(finding, event)
            verdict = product.decide(native, product.policy(self.options), explicit=explicit)
            identity = (finding.child("Id").text(), finding.child("ProductArn").text())
            return AsffReading(verdict, product, native, *identity)
        except InvalidField as error:
            return AsffReading(Triage.reject(str(error)))

    async def respond(self, finding: tuple[AsffReading, ...], context: HandlerContext) -> Plan:
        """The native planners' actions for the handled findings, then the write-backs."""
        actions = await plan_findings(finding, self.options, context)
        return Plan.of(actions, otherwise="the protection the findings call for is already in place")
