"""The client-side sliding-window limit."""

from __future__ import annotations

import asyncio
import time

import pytest

from wsbridge.consumer.workload_security.ratelimit import SlidingWindowLimiter


async def call(limiter: SlidingWindowLimiter, admitted: list[float], duration: float = 0.0) -> None:
    await limiter.acquire()
    admitted.append(time.monotonic())
    try:
        await asyncio.sleep(duration)
    finally:
        limiter.release()


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    limiter = SlidingWindowLimiter(5, window_seconds=0.2)
    admitted: list[float] = []
    await asyncio.gather(*(call(limiter, admitted) for _ in range(15)))
    admitted.sort()
    assert len(admitted) == 15
    for index, start in enumerate(admitted):
        assert sum(1 for t in admitted[index:] if t < start + 0.2) <= 5
    assert admitted[-1] - admitted[0] >= 0.4, "three windows were needed"


async def test_a_running_call_keeps_its_slot_until_a_window_after_it_finished() -> None:
    limiter = SlidingWindowLimiter(1, window_seconds=0.1)
    admitted: list[float] = []
    await asyncio.gather(call(limiter, admitted, duration=0.15), call(limiter, admitted))
    assert admitted[1] - admitted[0] >= 0.25, "0.15 s running + 0.1 s window"


async def test_pause_holds_every_caller() -> None:
    limiter = SlidingWindowLimiter(100, window_seconds=1.0)
    limiter.pause(0.15)
    assert limiter.paused_for > 0.1
    started = time.monotonic()
    admitted: list[float] = []
    await asyncio.gather(*(call(limiter, admitted) for _ in range(3)))
    assert min(admitted) - started >= 0.14
    assert limiter.paused_for == 0.0


async def test_in_window_counts_running_and_recent_calls() -> None:
    clock = [0.0]
    limiter = SlidingWindowLimiter(10, window_seconds=60.0, clock=lambda: clock[0])
    await limiter.acquire()
    await limiter.acquire()
    limiter.release()
    assert limiter.in_window() == 2
    clock[0] = 61.0
    assert limiter.in_window() == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(1, window_seconds=0)
