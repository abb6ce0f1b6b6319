"""The circuit breaker's states, with a hand-driven clock."""

from __future__ import annotations

import asyncio

import pytest

from wsbridge.consumer.workload_security.breaker import BreakerOpen, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(threshold: int = 3, reset: float = 10.0) -> tuple[CircuitBreaker, Clock, list[bool]]:
    clock, changes = Clock(), list[bool]()
    return CircuitBreaker(threshold, reset, clock=clock, on_change=changes.append), clock, changes


async def test_consecutive_failures_open_it_and_a_success_resets_the_count() -> None:
    cb, _, changes = breaker()
    for _ in range(2):
        cb.record_failure()
    cb.record_success()
    for _ in range(2):
        cb.record_failure()
    assert cb.state is BreakerState.CLOSED and changes == []
    cb.record_failure()
    assert cb.is_open and changes == [True]


async def test_open_refuses_calls_until_the_reset_time() -> None:
    cb, clock, _ = breaker(threshold=1, reset=10.0)
    cb.record_failure()
    clock.now += 4
    with pytest.raises(BreakerOpen) as refused:
        await cb.acquire()
    assert refused.value.retry_in == pytest.approx(6.0)
    clock.now += 6
    assert cb.state is BreakerState.HALF_OPEN and not cb.is_open
    assert await cb.acquire() is True, "the first caller probes"


async def test_a_successful_probe_closes_it() -> None:
    cb, clock, changes = breaker(threshold=1)
    cb.record_failure()
    clock.now += 10
    probe = await cb.acquire()
    cb.record_success()
    assert cb.state is BreakerState.CLOSED and changes == [True, False]
    assert probe and await cb.acquire() is False


async def test_a_failed_probe_opens_it_for_another_period() -> None:
    cb, clock, changes = breaker(threshold=1, reset=10.0)
    cb.record_failure()
    clock.now += 10
    probe = await cb.acquire()
    cb.record_failure(probe)
    assert cb.is_open and changes == [True], "still open: no second notification"
    clock.now += 9.9
    with pytest.raises(BreakerOpen):
        await cb.acquire()


async def test_other_callers_wait_for_the_probe_and_follow_its_outcome() -> None:
    cb, clock, _ = breaker(threshold=1)
    cb.record_failure()
    clock.now += 10
    assert await cb.acquire() is True
    waiters = [asyncio.create_task(cb.acquire()) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(task.done() for task in waiters)
    cb.record_success()
    assert await asyncio.gather(*waiters) == [False, False, False]


async def test_waiters_are_refused_when_the_probe_fails() -> None:
    cb, clock, _ = breaker(threshold=1)
    cb.record_failure()
    clock.now += 10
    await cb.acquire()
    waiter = asyncio.create_task(cb.acquire())
    await asyncio.sleep(0.01)
    cb.record_failure(probe=True)
    with pytest.raises(BreakerOpen):
        await waiter


async def test_a_cancelled_probe_lets_the_next_caller_probe() -> None:
    cb, clock, _ = breaker(threshold=1)
    cb.record_failure()
    clock.now += 10
    await cb.acquire()
    waiter = asyncio.create_task(cb.acquire())
    await asyncio.sleep(0.01)
    cb.release(probe=True)
    assert await waiter is True
