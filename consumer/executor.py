"""Runs a plan: each action once per coalescing window, in order, or only recorded in dry run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wsbridge.consumer.actions import Action
from wsbridge.consumer.services import Services
from wsbridge.consumer.state import Claim, DedupeStore


class ActionResult(StrEnum):
    """What happened to one planned action."""

    DONE = "done"
    COALESCED = "coalesced"
    DRY_RUN = "dry_run"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ExecutedAction:
    """An action with its result, for the canonical log line and ``replay``."""

    action: Action
    result: ActionResult

    def as_json(self) -> dict[str, Any]:
        """The action's description plus its result."""
        return {**self.action.describe(), "result": self.result.value}


class ActionFailed(Exception):
    """An action raised; ``executed`` lists what ran before it (the cause is chained)."""

    def __init__(self, action: Action, executed: list[ExecutedAction]) -> None:
        super().__init__(f"action {action.kind} failed")
        self.action = action
        self.executed = executed


class Executor:
    """The only place where wsbridge writes to Workload Security or AWS."""

    def __init__(
        self,
        services: Services,
        store: DedupeStore,
        window_seconds: float,
        dry_run: bool,
        on_action: Callable[[ExecutedAction], None] = lambda executed: None,
    ) -> None:
        """``window_seconds`` = 0 disables coalescing; ``on_action`` sees every action with its result."""
        self._services = services
        self._store = store
        self._window = window_seconds
        self.dry_run = dry_run
        self._on_action = on_action

    async def execute(self, actions: Sequence[Action], *, lease_until: float | None = None) -> list[ExecutedAction]:
        """Run the actions in order; on the first failure raise :class:`ActionFailed`.

        ``lease_until`` (epoch seconds) is when the message's own claim lapses: an action's
        in-progress mark lapses with it, so whoever takes the message over also takes its actions.
        """
        executed: list[ExecutedAction] = []
        for action in actions:
            result = await self._execute_one(action, executed, lease_until)
            executed.append(ExecutedAction(action, result))
            self._on_action(executed[-1])
        return executed

    async def _execute_one(
        self, action: Action, executed: list[ExecutedAction], lease_until: float | None
    ) -> ActionResult:
        if self.dry_run:
            return ActionResult.DRY_RUN
        key = f"action:{action.coalesce_key}" if action.coalesce_key and self._window > 0 else None
        lease = self._window if lease_until is None else max(lease_until - time.time(), 1.0)
        if key is not None and await self._store.claim(key, lease) is not Claim.NEW:
            return ActionResult.COALESCED
        try:
            since_ms = int((time.time() - self._window) * 1000) if key is not None else None
            ran = await action.run_unless_recorded(self._services, since_ms)
        except BaseException as error:
            if key is not None:
                await self._store.release(key)
            if isinstance(error, Exception):
                self._on_action(ExecutedAction(action, ActionResult.FAILED))
                raise ActionFailed(action, executed) from error
            raise
        if key is not None:
            await self._store.complete(key, self._window)
        return ActionResult.DONE if ran else ActionResult.COALESCED
