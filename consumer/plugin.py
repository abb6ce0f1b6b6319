"""The public surface for third-party handlers and middleware: import everything a plugin needs from here.

A handler subclasses :class:`Handler` (registered in the ``wsbridge.handlers`` entry-point group),
triages offline into a :class:`Triage`, and plans :class:`Action` objects into a :class:`Plan`;
raising :class:`TransientError`, :class:`RetryLater` or :class:`PermanentError` decides how a failed
message is retried or dead-lettered. A middleware subclasses :class:`Middleware` (entry-point group
``wsbridge.middleware``). :func:`plan_event` runs one event through a handler in a test.
"""

from __future__ import annotations

from wsbridge.consumer.actions import (
    Action,
    AssignIpsRules,
    Notify,
    RunIntegrityScan,
    RunMalwareScan,
    RunRecommendationScan,
)
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Decision, Handler, HandlerContext, Plan, Targets, Triage
from wsbridge.consumer.middleware import Middleware, Processed
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.settlement import OutcomeKind, PermanentError, RetryLater, TransientError
from wsbridge.consumer.testing import PlannedEvent, plan_event

__all__ = [
    "Action",
    "AssignIpsRules",
    "Decision",
    "Event",
    "Handler",
    "HandlerContext",
    "Middleware",
    "Notify",
    "OutcomeKind",
    "PermanentError",
    "Plan",
    "PlannedEvent",
    "Processed",
    "RetryLater",
    "RunIntegrityScan",
    "RunMalwareScan",
    "RunRecommendationScan",
    "Services",
    "Settings",
    "Targets",
    "TransientError",
    "Triage",
    "plan_event",
]
