"""Planning for Security Hub findings: each handled ASFF finding goes to its product's native planner.

With ``write_back``, one ``BatchUpdateFindings`` per handled finding comes last, recording what the
plan did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.handler import Decision
from wsbridge.handlers._shared.plans import unique
from wsbridge.handlers.securityhub.notes import note_for
from wsbridge.handlers.securityhub.writeback import UpdateSecurityHubFinding

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.handler import HandlerContext, Triage
    from wsbridge.handlers.securityhub.policy import SecurityHubPolicy
    from wsbridge.handlers.securityhub.products import Product


@dataclass(frozen=True, slots=True)
class AsffReading:
    """One ASFF finding: its product, the native finding read from it, its identity, and the verdict."""

    triage: Triage
    product: Product | None = None
    native: Any = None
    finding_id: str | None = None
    product_arn: str | None = None


async def plan_findings(
    readings: tuple[AsffReading, ...], policy: SecurityHubPolicy, context: HandlerContext
) -> list[Action]:
    """The actions for every handled finding (each once), then the write-backs when enabled."""
    actions: list[Action] = []
    write_backs: list[Action] = []
    for reading in readings:
        product = reading.product
        if reading.triage.decision is not Decision.HANDLE or product is None:
            continue
        planned = await product.plan(reading.native, product.policy(policy), context)
        actions += planned
        if policy.write_back and reading.finding_id and reading.product_arn:
            status = None if policy.write_back_status == "unchanged" else policy.write_back_status
            write_backs.append(
                UpdateSecurityHubFinding(reading.finding_id, reading.product_arn, note_for(planned), status)
            )
    return unique(actions) + write_backs
