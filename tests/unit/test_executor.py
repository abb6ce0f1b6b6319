import asyncio
import time
from dataclasses import dataclass
from typing import ClassVar

import pytest

from wsbridge.consumer.actions import Action, RunIntegrityScan, RunRecommendationScan
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


@dataclass(frozen=True)
class Step(Action):
    """Waits for ``wait_for`` (when given), then sets ``sets``; independent of earlier steps unless ``after``."""

    kind: ClassVar[str] = "step"
    name: str
    events: dict[str, asyncio.Event]
    wait_for: str | None = None
    after: bool = False
    fail: bool = False

    def runs_after(self, earlier: Action) -> bool:
        return self.after

    async def run(self, services: Services) -> None:
        if self.wait_for is not None:
            await self.events[self.wait_for].wait()
        if self.fail:
            raise RuntimeError("boom")
        self.events[self.name].set()


def _events(*names: str) -> dict[str, asyncio.Event]:
    return {name: asyncio.Event() for name in names}


async def test_independent_actions_of_a_plan_run_at_the_same_time() -> None:
    events = _events("first", "second")
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=0, dry_run=False)
    plan = [Step("first", events, wait_for="second"), Step("second", events)]
    results = await asyncio.wait_for(executor.execute(plan), timeout=30)
    assert [item.action.name for item in results] == ["first", "second"]  # type: ignore[attr-defined]


async def test_an_action_that_depends_on_a_failed_one_is_not_started() -> None:
    events = _events("first", "second", "third")
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=0, dry_run=False)
    plan = [Step("first", events, fail=True), Step("second", events), Step("third", events, after=True)]
    with pytest.raises(ActionFailed) as error:
        await executor.execute(plan)
    assert error.value.action.name == "first"  # type: ignore[attr-defined]
    assert [item.action.name for item in error.value.executed] == ["second"]  # type: ignore[attr-defined]
    assert not events["third"].is_set()


def test_an_integrity_scan_waits_only_for_a_recommendation_scan_that_changes_its_rules() -> None:
    integrity = RunIntegrityScan(5)
    assert not integrity.runs_after(RunRecommendationScan(5))
    assert integrity.runs_after(RunRecommendationScan(5, integrity_rules=True))
    assert not integrity.runs_after(RunRecommendationScan(6, integrity_rules=True))
    assert not integrity.runs_after(RunRecommendationScan(5, apply=False, integrity_rules=True))
    assert not RunRecommendationScan(5).runs_after(integrity)


@dataclass(frozen=True)
class Resumable(Action):
    """Records whether it ran as a first attempt (no look for an earlier attempt's work)."""

    kind: ClassVar[str] = "resumable"
    target: int
    log: list[tuple[int, bool]]
    resume: bool = True

    @property
    def coalesce_key(self) -> str:
        return f"resumable:{self.target}"

    def first_attempt(self) -> Action:
        return Resumable(self.target, self.log, resume=False)

    async def run(self, services: Services) -> None:
        self.log.append((self.target, self.resume))


class TakingOver(MemoryDedupeStore):
    """A store whose every new claim took over a lapsed one."""

    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        claim = await super().claim(key, ttl_seconds)
        return Claim.TAKEN_OVER if claim is Claim.NEW else claim


async def test_only_a_first_attempt_with_a_new_claim_runs_without_looking_for_earlier_work() -> None:
    ran: list[tuple[int, bool]] = []
    executor = Executor(Services(), MemoryDedupeStore(), window_seconds=60, dry_run=False)
    await executor.execute([Resumable(1, ran)], earlier_attempt=False)
    await executor.execute([Resumable(2, ran)], earlier_attempt=True)
    await executor.execute([Resumable(3, ran)])
    taking_over = Executor(Services(), TakingOver(), window_seconds=60, dry_run=False)
    results = await taking_over.execute([Resumable(4, ran)], earlier_attempt=False)
    assert ran == [(1, False), (2, True), (3, True), (4, True)]
    assert [item.result for item in results] == [ActionResult.DONE]


def test_a_recommendation_scan_looks_for_an_earlier_attempt_unless_it_is_a_first_attempt() -> None:
    planned = RunRecommendationScan(5)
    assert planned.resume and not planned.first_attempt().resume
    assert planned.first_attempt().coalesce_key == planned.coalesce_key
    assert (
        planned.describe()
        == planned.first_attempt().describe()
        == {
            "action": "recommendation_scan",
            "computer_id": 5,
            "apply": True,
            "integrity_rules": False,
        }
    )
