import time
from dataclasses import dataclass
from typing import ClassVar

import pytest

from wsbridge.consumer.actions import Action
from wsbridge.consumer.executor import ActionFailed, ActionResult, Executor
from wsbridge.consumer.services import Services
from wsbridge.consumer.state import Claim, MemoryDedupeStore


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


@dataclass(frozen=True)
class RecordedScan(Scan):
    """A scan whose target already records one since ``recorded_at`` (epoch ms)."""

    recorded_at: int = 0

    async def run_unless_recorded(self, services: Services, since_ms: int | None) -> bool:
        if since_ms is not None and self.recorded_at >= since_ms:
            return False
        await self.run(services)
        return True


async def test_an_action_its_target_already_records_within_the_window_is_not_run_again() -> None:
    ran: list[int] = []
    now_ms = int(time.time() * 1000)
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=60, dry_run=False)
    results = await executor.execute([RecordedScan(1, ran, recorded_at=now_ms - 10_000)])
    older = await executor.execute([RecordedScan(2, ran, recorded_at=now_ms - 120_000)])
    assert ran == [2]
    assert [item.result for item in results + older] == [ActionResult.COALESCED, ActionResult.DONE]
    assert (await executor.execute([RecordedScan(1, ran)]))[0].result is ActionResult.COALESCED


async def test_without_a_window_nothing_is_looked_up_and_everything_runs() -> None:
    ran: list[int] = []
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=0, dry_run=False)
    await executor.execute([RecordedScan(1, ran, recorded_at=int(time.time() * 1000))] * 2)
    assert ran == [1, 1]


class LeaseRecorder(MemoryDedupeStore):
    def __init__(self) -> None:
        super().__init__()
        self.leases: list[float] = []

    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        self.leases.append(ttl_seconds)
        return await super().claim(key, ttl_seconds)


async def test_an_action_in_progress_mark_lapses_with_the_message_claim_not_the_window() -> None:
    store = LeaseRecorder()
    executor = Executor(Services(), store, window_seconds=600, dry_run=False)
    await executor.execute([Scan(1, [])], lease_until=time.time() + 20)
    await executor.execute([Scan(2, [])])
    assert 15 < store.leases[0] <= 20
    assert store.leases[1] == 600
