from dataclasses import dataclass
from typing import ClassVar

import pytest

from wsbridge.consumer.actions import Action
from wsbridge.consumer.dedupe import MemoryDedupeStore
from wsbridge.consumer.executor import ActionFailed, ActionResult, Executor
from wsbridge.consumer.services import Services


@dataclass(frozen=True)
class Scan(Action):
    kind: ClassVar[str] = "scan"
    target: int
    log: list[int]
    fail: bool = False

    @property
    def coalesce_key(self) -> str:
        return f"scan:{self.target}"

    async def run(self, services: Services) -> None:
        if self.fail:
            raise RuntimeError("boom")
        self.log.append(self.target)


async def test_actions_on_the_same_target_run_once_per_window() -> None:
    ran: list[int] = []
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=60, dry_run=False)
    first = await executor.execute([Scan(1, ran), Scan(2, ran)])
    second = await executor.execute([Scan(1, ran)])
    assert ran == [1, 2]
    assert [item.result for item in first] == [ActionResult.DONE, ActionResult.DONE]
    assert [item.result for item in second] == [ActionResult.COALESCED]


async def test_dry_run_records_without_running() -> None:
    ran: list[int] = []
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=60, dry_run=True)
    results = await executor.execute([Scan(1, ran)])
    assert ran == []
    assert results[0].result is ActionResult.DRY_RUN
    assert results[0].as_json()["action"] == "scan"


async def test_a_failed_action_stops_the_plan_and_can_run_again_later() -> None:
    ran: list[int] = []
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=60, dry_run=False)
    with pytest.raises(ActionFailed) as error:
        await executor.execute([Scan(1, ran), Scan(2, ran, fail=True), Scan(3, ran)])
    assert [item.action.target for item in error.value.executed] == [1]  # type: ignore[attr-defined]
    retried = await executor.execute([Scan(1, ran), Scan(2, ran), Scan(3, ran)])
    assert ran == [1, 2, 3]
    assert [item.result for item in retried] == [ActionResult.COALESCED, ActionResult.DONE, ActionResult.DONE]
