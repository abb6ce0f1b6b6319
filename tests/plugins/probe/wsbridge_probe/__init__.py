"""A handler for ``wsbridge Probe`` events, used by the tests to observe the daemon from outside.

Each attempt appends a ``start`` line to ``$WSBRIDGE_PROBE_DIR/<event id>.log``; the planned
:class:`ProbeDone` action appends ``done``. ``detail.fail_times`` makes the first attempts fail
transiently (with ``detail.retry_after_seconds``, by asking for that retry delay),
``detail.sleep_seconds`` keeps the handler busy (only on the first ``detail.sleep_attempts``
attempts when that is set), ``detail.reject`` rejects the event, and ``detail.noop`` makes an empty
plan without recording anything (for throughput measurements). ``detail.aws_account`` makes each
attempt ask STS who it is in that account (in the event's region) and record ``aws <ARN>``.

:class:`ProbeMiddleware` (entry-point group ``wsbridge.middleware``) appends one line per lifecycle
hook it sees to ``$WSBRIDGE_PROBE_DIR/middleware.log`` when ``WSBRIDGE_PROBE_MIDDLEWARE`` is set.
Both use only the public plugin API, :mod:`wsbridge.consumer.plugin`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from wsbridge.consumer.plugin import (
    Action,
    Event,
    Handler,
    HandlerContext,
    Middleware,
    Plan,
    Processed,
    RetryLater,
    Services,
    Settings,
    Targets,
    TransientError,
    Triage,
)

DETAIL_TYPE = "wsbridge Probe"


def _log_path(name: str) -> Path:
    directory = Path(os.environ.get("WSBRIDGE_PROBE_DIR", ".stack/probe"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{name}.log"


def _append(name: str, entry: dict[str, Any]) -> Path:
    path = _log_path(name)
    with path.open("a") as stream:
        stream.write(json.dumps({**entry, "pid": os.getpid(), "at": time.time()}) + "\n")
    return path


def _record(event_id: str, what: str) -> int:
    path = _append(event_id, {"what": what})
    return sum(1 for entry in path.read_text().splitlines() if json.loads(entry)["what"] == what)


@dataclass(frozen=True, slots=True)
class ProbeDone(Action):
    """Marks the probe event as processed."""

    kind: ClassVar[str] = "probe_done"
    event_id: str

    async def run(self, services: Services) -> None:
        """Append the ``done`` line."""
        _record(self.event_id, "done")


class ProbeHandler(Handler):
    """Test handler: behaviour is driven by the event's detail."""

    name = "probe"
    sources = {DETAIL_TYPE: ("wsbridge.test",)}

    def triage(self, event: Event) -> Triage:
        """Handle unless ``detail.reject`` is set."""
        if event.detail.get("reject"):
            return Triage.reject("probe asked to be rejected")
        return Triage.handle("probe event", Targets(account=event.account or None))

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """Record the attempt, fail or sleep as asked, then plan the ``done`` record."""
        if event.detail.get("noop"):
            return Plan.nothing("probe asked for an empty plan")
        attempt = _record(event.id, "start")
        account = event.detail.get("aws_account")
        if account:
            sts = await context.services.aws_clients().client("sts", account=str(account), region=event.region or None)
            _record(event.id, f"aws {(await sts.get_caller_identity())['Arn']}")
        if attempt <= int(event.detail.get("fail_times", 0)):
            if "retry_after_seconds" in event.detail:
                raise RetryLater(int(event.detail["retry_after_seconds"]), f"probe retrying on purpose ({attempt})")
            raise TransientError(f"probe failing on purpose (attempt {attempt})")
        sleep_attempts = event.detail.get("sleep_attempts")
        if sleep_attempts is None or attempt <= int(sleep_attempts):
            await asyncio.sleep(float(event.detail.get("sleep_seconds", 0)))
        return Plan((ProbeDone(event.id),))


class ProbeMiddleware(Middleware):
    """Records the lifecycle hooks it sees, when ``WSBRIDGE_PROBE_MIDDLEWARE`` is set."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled

    @classmethod
    def from_runtime(cls, settings: Settings, services: Services) -> Self:
        """Enabled by ``WSBRIDGE_PROBE_MIDDLEWARE``."""
        return cls(bool(os.environ.get("WSBRIDGE_PROBE_MIDDLEWARE")))

    async def startup(self) -> None:
        """Record the start."""
        self._note({"hook": "startup"})

    async def shutdown(self) -> None:
        """Record the end."""
        self._note({"hook": "shutdown"})

    def after_process(self, processed: Processed) -> None:
        """Record the outcome of each message."""
        outcome = processed.outcome
        event = outcome.assessment.event
        self._note(
            {
                "hook": "after_process",
                "event_id": event.id if event else None,
                "outcome": outcome.kind.value,
                "retry_in_seconds": processed.retry_in_seconds,
            }
        )

    def _note(self, entry: dict[str, Any]) -> None:
        if self._enabled:
            _append("middleware", entry)
