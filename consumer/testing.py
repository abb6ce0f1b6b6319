"""A testing helper for handler plugins: one event through triage and plan against a WS API, no queue.

::

    planned = await plan_event(MyHandler(), event_body, ws_url="http://127.0.0.1:4580/api", api_key="key")
    planned.assert_actions(RunRecommendationScan(1, apply=True))

Nothing is executed: the plan is what the executor would run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from wsbridge.consumer.actions import Action
from wsbridge.consumer.envelope import Event, parse_body
from wsbridge.consumer.handler import Decision, Handler, HandlerContext, Plan, Triage
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.workload_security import WorkloadSecurityClient


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """What a handler decided about one event: the triage, and the plan when it decided to handle it."""

    event: Event
    triage: Triage
    plan: Plan | None

    @property
    def actions(self) -> tuple[Action, ...]:
        """The planned actions (none unless the event was handled)."""
        return self.plan.actions if self.plan else ()

    def assert_actions(self, *expected: Action) -> None:
        """Fail with the triage and the plan unless exactly ``expected`` was planned, in order."""
        if list(self.actions) != list(expected):
            raise AssertionError(
                f"planned {[action.describe() for action in self.actions]}, expected "
                f"{[action.describe() for action in expected]} (triage {self.triage.decision.value}: "
                f"{self.triage.reason}; plan: {self.plan.reason if self.plan else None})"
            )

    def assert_decision(self, decision: Decision | str) -> None:
        """Fail with the reason unless the triage decided ``decision``."""
        if self.triage.decision != Decision(decision):
            raise AssertionError(f"triage decided {self.triage.decision.value} ({self.triage.reason}), not {decision}")


def as_event(event: Event | Mapping[str, Any] | str | bytes) -> Event:
    """An :class:`Event` from an event, an EventBridge envelope (a mapping) or an SQS message body."""
    if isinstance(event, Event):
        return event
    return parse_body(orjson.dumps(event) if isinstance(event, Mapping) else event)


async def plan_event(
    handler: Handler,
    event: Event | Mapping[str, Any] | str | bytes,
    *,
    ws_url: str | None = None,
    api_key: str = "",
    settings: Settings | None = None,
    services: Services | None = None,
) -> PlannedEvent:
    """Triage ``event`` with ``handler`` and, when it is to be handled, plan it.

    The plan may read the Workload Security API at ``ws_url`` (the API base, as in WSBRIDGE_WS_URL)
    with ``api_key``; pass ``services`` instead to give the handler clients of your own.
    """
    parsed = as_event(event)
    triage = handler.triage(parsed)
    if triage.decision is not Decision.HANDLE:
        return PlannedEvent(parsed, triage, None)
    settings = settings or Settings(queue_url="http://queue.invalid")
    log = structlog.get_logger("wsbridge.testing").bind(handler=handler.name)
    if services is not None:
        return PlannedEvent(parsed, triage, await handler.plan(parsed, triage, HandlerContext(services, settings, log)))
    ws = WorkloadSecurityClient(ws_url, api_key) if ws_url else None
    try:
        context = HandlerContext(Services(ws=ws), settings, log)
        return PlannedEvent(parsed, triage, await handler.plan(parsed, triage, context))
    finally:
        if ws is not None:
            await ws.close()
