"""``Scheduled Event``: an EventBridge scheduled rule or an EventBridge Scheduler default payload.

Each firing starts the periodic WAF audit (web-facing instances against the WAF rule groups).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.handler import Handler, HandlerContext, Targets, Triage
from wsbridge.handlers.common import canonical_time, finding_key
from wsbridge.handlers.policy import Policy, load_policy

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.envelope import Event

SCHEDULE = "schedule"


class ScheduledPolicy(Policy):
    """The ``[scheduled]`` table (no settings yet; unknown keys are refused)."""


class ScheduledHandler(Handler):
    """Every firing of a schedule is handled once (keyed on the schedule and its time)."""

    name = "scheduled"
    detail_types = ("Scheduled Event",)

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        super().__init__(policy)
        self.options = load_policy(ScheduledPolicy, policy)

    def triage(self, event: Event) -> Triage:
        """Handle the firing; the schedule (rule or Scheduler ARN) is the finding id."""
        schedule = event.resources[0] if event.resources else None
        targets = Targets(
            account=event.account or None,
            region=event.region or None,
            finding_id=schedule,
            resource_type=SCHEDULE,
        )
        key = finding_key(SCHEDULE, schedule or event.source, canonical_time(event.time)) if event.time else None
        return Triage.handle(f"scheduled run from {schedule or event.source}: WAF audit", targets, key)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Sequence[Action]:
        """Actions for a firing."""
        return []
