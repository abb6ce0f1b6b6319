"""Runs a plan: each action once per coalescing window, or only recorded in dry run.

An action starts once the earlier actions it depends on (:meth:`Action.runs_after`) are done; the
others of the plan run at the same time, so a finding's integrity scan does not wait for its
recommendation scan's results.
"""

from __future__ import annotations

import asyncio
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


class _NotStarted(Exception):
    """An action was not started because an action it depends on failed."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"action {action.kind} not started")


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

    async def execute(
        self, actions: Sequence[Action], *, lease_until: float | None = None, earlier_attempt: bool = True
    ) -> list[ExecutedAction]:
        """Run the plan; when an action fails, let those already running finish, start none that
        depends on it, and raise :class:`ActionFailed` for the first failed action in plan order.

        ``lease_until`` (epoch seconds) is when the message's own claim lapses: an action's
        in-progress mark lapses with it, so whoever takes the message over also takes its actions.
        ``earlier_attempt``: an earlier attempt at the message may have acted; when not, an action whose
        coalescing claim took over nobody's runs as :meth:`Action.first_attempt`.
        """
        if len(actions) == 1:
            results: list[ExecutedAction | BaseException] = [
                await self._run(actions[0], [], lease_until, earlier_attempt)
            ]
        else:
            tasks: list[asyncio.Task[ExecutedAction]] = []
            for index, action in enumerate(actions):
                needs = [tasks[earlier] for earlier in range(index) if action.runs_after(actions[earlier])]
                tasks.append(asyncio.ensure_future(self._run(action, needs, lease_until, earlier_attempt)))
            results = await asyncio.gather(*tasks, return_exceptions=True)
        executed = [result for result in results if isinstance(result, ExecutedAction)]
        failed = next((result for result in results if isinstance(result, BaseException)), None)
        if isinstance(failed, ActionFailed):
            raise ActionFailed(failed.action, executed) from failed.__cause__
        if failed is not None:
            raise failed
        return executed

    async def _run(
        self,
        action: Action,
        needs: list[asyncio.Task[ExecutedAction]],
        lease_until: float | None,
        earlier_attempt: bool,
    ) -> ExecutedAction:
        if needs:
            await asyncio.wait(needs)
            if any(task.cancelled() or task.exception() is not None for task in needs):
                raise _NotStarted(action)
        result = await self._execute_one(action, lease_until, earlier_attempt)
        executed = ExecutedAction(action, result)
        self._on_action(executed)
        return executed

    async def _execute_one(self, action: Action, lease_until: float | None, earlier_attempt: bool) -> ActionResult:
        if self.dry_run:
            return ActionResult.DRY_RUN
        key = f"action:{action.coalesce_key}" if action.coalesce_key and self._window > 0 else None
        lease = self._window if lease_until is None else max(lease_until - time.time(), 1.0)
        claim = await self._store.claim(key, lease) if key is not None else Claim.NEW
        if not claim.taken:
            return ActionResult.COALESCED
        try:
            since_ms = int((time.time() - self._window) * 1000) if key is not None else None
            runs = action if earlier_attempt or claim is Claim.TAKEN_OVER else action.first_attempt()
            ran = await runs.run_unless_recorded(self._services, since_ms)
        except BaseException as error:
            if key is not None:
                await self._store.release(key)
            if isinstance(error, Exception):
                self._on_action(ExecutedAction(action, ActionResult.FAILED))
                raise ActionFailed(action, []) from error
            raise
        if key is not None:
            await self._store.complete(key, self._window)
        return ActionResult.DONE if ran else ActionResult.COALESCED
