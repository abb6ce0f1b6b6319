"""Planning for Security Hub findings: each handled ASFF finding goes to its native product's planner.

A GuardDuty or Inspector finding read from ASFF is planned by :func:`plan_guardduty` /
:func:`plan_inspector` with the ``securityhub`` sub-policies, so the copy that arrives through
Security Hub gets the same actions as the native event. With ``write_back``, one
``BatchUpdateFindings`` per handled finding comes last, recording what the plan did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Decision
from wsbridge.consumer.securityhub_actions import UpdateSecurityHubFinding
from wsbridge.handlers.guardduty import GuardDutyFinding
from wsbridge.handlers.guardduty_plan import plan_guardduty
from wsbridge.handlers.inspector import InspectorFinding
from wsbridge.handlers.inspector_plan import plan_inspector
from wsbridge.handlers.macie import MacieFinding
from wsbridge.handlers.responses import unique
from wsbridge.handlers.securityhub_notes import note_for

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.handler import HandlerContext, Triage
    from wsbridge.handlers.securityhub import SecurityHubPolicy

NativeFinding = GuardDutyFinding | InspectorFinding | MacieFinding


@dataclass(frozen=True, slots=True)
class AsffReading:
    """One ASFF finding: its identity in Security Hub, the native finding read from it, and the verdict."""

    triage: Triage
    native: NativeFinding | None = None
    finding_id: str | None = None
    product_arn: str | None = None


async def plan_findings(
    readings: list[AsffReading], policy: SecurityHubPolicy, context: HandlerContext
) -> list[Action]:
    """The actions for every handled finding (each once), then the write-backs when enabled."""
    actions: list[Action] = []
    write_backs: list[Action] = []
    for reading in readings:
        if reading.triage.decision is not Decision.HANDLE or reading.native is None:
            continue
        planned = await plan_native(reading.native, policy, context)
        if planned is None:
            continue
        actions += planned
        if policy.write_back and reading.finding_id and reading.product_arn:
            status = None if policy.write_back_status == "unchanged" else policy.write_back_status
            write_backs.append(
                UpdateSecurityHubFinding(reading.finding_id, reading.product_arn, note_for(planned), status)
            )
    return unique(actions) + write_backs


async def plan_native(
    finding: NativeFinding, policy: SecurityHubPolicy, context: HandlerContext
) -> list[Action] | None:
    """The native planner's actions for ``finding``; ``None`` for a Macie finding (no planner for it here)."""
    if isinstance(finding, GuardDutyFinding):
        return await plan_guardduty(finding, policy.guardduty, context)
    if isinstance(finding, InspectorFinding):
        return await plan_inspector(finding, policy.inspector, context)
    context.log.info("securityhub_finding_not_planned", product="macie", finding_id=finding.finding_id)
    return None
