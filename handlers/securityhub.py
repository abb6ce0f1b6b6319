"""Security Hub events: unwrap the ASFF findings and decide them with the native handlers' code.

GuardDuty, Inspector and Macie findings are read into the native models (:mod:`wsbridge.handlers.asff`)
and decided by :func:`wsbridge.handlers.guardduty.decide` and friends, so a finding that arrives both
natively and through Security Hub gets one verdict and one finding key. A ``Custom Action`` event
is a user's explicit request: it bypasses the sample, archived and severity filters and is not
de-duplicated against earlier copies of the finding. Planning goes to the native planners as well
(:mod:`wsbridge.handlers.securityhub_plan`), so both copies of a finding plan the same actions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from wsbridge.consumer.handler import Handler, HandlerContext, Triage
from wsbridge.consumer.json_types import json_type
from wsbridge.handlers.asff import product_of, read_guardduty, read_inspector, read_macie
from wsbridge.handlers.fields import InvalidField, Node
from wsbridge.handlers.guardduty import GuardDutyFinding, GuardDutyPolicy
from wsbridge.handlers.guardduty import decide as decide_guardduty
from wsbridge.handlers.inspector import InspectorFinding, InspectorPolicy
from wsbridge.handlers.inspector import decide as decide_inspector
from wsbridge.handlers.macie import MaciePolicy
from wsbridge.handlers.macie import decide as decide_macie
from wsbridge.handlers.policy import Policy, load_policy
from wsbridge.handlers.securityhub_plan import AsffReading, NativeFinding, plan_findings
from wsbridge.handlers.securityhub_verdicts import combine, summary_targets

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.envelope import Event

IMPORTED = "Security Hub Findings - Imported"
CUSTOM_ACTION = "Security Hub Findings - Custom Action"
Product = Literal["guardduty", "inspector", "macie"]
WorkflowStatus = Literal["NOTIFIED", "RESOLVED", "SUPPRESSED", "NEW", "unchanged"]


class SecurityHubPolicy(Policy):
    """The ``[securityhub]`` table; the sub-tables mirror the native handlers' policies."""

    products: tuple[Product, ...] = Field(
        ("guardduty", "inspector", "macie"), strict=False, description="Products whose ASFF findings are acted on"
    )
    guardduty: GuardDutyPolicy = Field(default_factory=GuardDutyPolicy)
    inspector: InspectorPolicy = Field(default_factory=InspectorPolicy)
    macie: MaciePolicy = Field(default_factory=MaciePolicy)
    write_back: bool = Field(
        False, description="After acting, add a note saying what wsbridge did to the finding (BatchUpdateFindings)"
    )
    write_back_status: WorkflowStatus = Field(
        "NOTIFIED", description="Workflow status set with the note (`unchanged` leaves it alone)"
    )


class SecurityHubHandler(Handler):
    """``Security Hub Findings - Imported`` and ``- Custom Action`` (ASFF)."""

    name = "securityhub"
    detail_types = (IMPORTED, CUSTOM_ACTION)
    inherits_policies = ("guardduty", "inspector", "macie")

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        super().__init__(policy)
        self.options = load_policy(SecurityHubPolicy, policy)

    def triage(self, event: Event) -> Triage:
        """Decide every finding in ``detail.findings`` and combine the verdicts."""
        findings = Node(event.detail, "detail").child("findings")
        if not isinstance(findings.value, list):
            return Triage.reject(f"detail.findings is a JSON {json_type(findings.value)}, not an array")
        if not findings.value:
            return Triage.reject("detail.findings is empty")
        explicit = event.detail_type == CUSTOM_ACTION
        verdict = combine([reading.triage for reading in self.read(event)])
        return dataclasses.replace(verdict, finding_key=None) if explicit else verdict

    def read(self, event: Event) -> list[AsffReading]:
        """Every finding of the event, read into its native model and decided by the native code."""
        explicit = event.detail_type == CUSTOM_ACTION
        return [
            self._read(finding, event, explicit) for finding in Node(event.detail, "detail").child("findings").items()
        ]

    def _read(self, finding: Node, event: Event, explicit: bool) -> AsffReading:
        try:
            if not isinstance(finding.value, dict):
                raise InvalidField(f"{finding.path} is a JSON {json_type(finding.value)}, not an object")
            product = product_of(finding)
            summary = summary_targets(finding.value, event)
            if product == "aws/securityhub":
                return AsffReading(
                    Triage.skip("Security Hub control finding, not a threat or vulnerability finding", summary)
                )
            name = product.removeprefix("aws/")
            if not product.startswith("aws/") or name not in ("guardduty", "inspector", "macie"):
                return AsffReading(Triage.skip(f"Security Hub finding from product {product} is not handled", summary))
            if name not in self.options.products:
                return AsffReading(Triage.skip(f"{name} findings via Security Hub are off (products setting)", summary))
            native = self._native(name, finding, event)
            identity = (finding.child("Id").text(), finding.child("ProductArn").text())
            return AsffReading(self._decide(native, explicit), native, *identity)
        except InvalidField as error:
            return AsffReading(Triage.reject(str(error)))

    @staticmethod
    def _native(name: str, finding: Node, event: Event) -> NativeFinding:
        if name == "guardduty":
            return read_guardduty(finding, event)
        if name == "inspector":
            return read_inspector(finding, event)
        return read_macie(finding, event)

    def _decide(self, native: NativeFinding, explicit: bool) -> Triage:
        if isinstance(native, GuardDutyFinding):
            return decide_guardduty(native, self.options.guardduty, explicit=explicit)
        if isinstance(native, InspectorFinding):
            return decide_inspector(native, self.options.inspector, explicit=explicit)
        return decide_macie(native, self.options.macie, explicit=explicit)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Sequence[Action]:
        """The native planners' actions for the handled findings (see :mod:`wsbridge.handlers.securityhub_plan`)."""
        return await plan_findings(self.read(event), self.options, context)
