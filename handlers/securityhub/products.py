"""The products whose ASFF findings wsbridge answers, each with its native reader, decision and planner.

A finding's ``ProductArn`` picks its row: the reader turns the ASFF finding into the native model,
and the native decision and planner answer it with the matching ``[securityhub]`` sub-policy, so a
finding that arrives both natively and through Security Hub gets one verdict, one key and one plan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsbridge.handlers.guardduty.finding import decide as decide_guardduty
from wsbridge.handlers.guardduty.plan import plan_guardduty
from wsbridge.handlers.inspector.finding import decide as decide_inspector
from wsbridge.handlers.inspector.plan import plan_inspector
from wsbridge.handlers.macie.finding import decide as decide_macie
from wsbridge.handlers.macie.plan import plan_macie
from wsbridge.handlers.securityhub.asff import read_guardduty, read_inspector, read_macie

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext, Triage
    from wsbridge.handlers._shared.fields import Node
    from wsbridge.handlers._shared.policy import Policy
    from wsbridge.handlers.securityhub.policy import ProductName, SecurityHubPolicy


@dataclass(frozen=True, slots=True)
class Product:
    """One product's row: how its ASFF findings are read, decided and planned."""

    name: ProductName
    read: Callable[[Node, Event], Any]
    decide: Callable[..., Triage]
    plan: Callable[[Any, Any, HandlerContext], Awaitable[list[Action]]]

    def policy(self, policy: SecurityHubPolicy) -> Policy:
        """This product's sub-policy of the ``[securityhub]`` table."""
        sub: Policy = getattr(policy, self.name)
        return sub


PRODUCTS: dict[str, Product] = {
    "aws/guardduty": Product("guardduty", read_guardduty, decide_guardduty, plan_guardduty),
    "aws/inspector": Product("inspector", read_inspector, decide_inspector, plan_inspector),
    "aws/macie": Product("macie", read_macie, decide_macie, plan_macie),
}
"""By the product part of ``ProductArn``."""
