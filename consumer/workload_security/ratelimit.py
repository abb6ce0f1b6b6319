"""Client-side rate limit shared by every worker: the manager never sees more than ``limit`` calls in a window.

The manager counts calls *received* in the last 60 seconds and, once a limit is passed, refuses
everything until the count drops. A call reaches it some time between being sent and being answered,
so counting calls when they are sent is not enough. Here a call occupies the window from the moment it
is admitted until ``window_seconds`` after it finished: then any window of the manager's holds at most
``limit`` calls. (A token bucket would even allow twice the limit within one window.)
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class CallBudget(Protocol):
    """A budget shared beyond this process (e.g. by every replica); one ``acquire`` per call sent."""

    async def acquire(self) -> None:
        """Wait until one more call fits in the budget, and take it."""

    async def has_spare_room(self) -> bool:
        """Whether a call that can wait (a cleanup) may go now without taking room others need soon."""


class SlidingWindowLimiter:
    """Admits callers in FIFO order; each :meth:`acquire` must be followed by one :meth:`release`."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("the rate limit needs limit >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._in_flight = 0
        self._finished: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window (and any pause has passed), then take a slot."""
        async with self._lock:
            while True:
                wait = self._wait_needed()
                if wait <= 0:
                    self._in_flight += 1
                    return
                self._released.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), None if math.isinf(wait) else wait)

    def release(self) -> None:
        """The call admitted by :meth:`acquire` has finished; it leaves the window ``window_seconds`` from now."""
        self._in_flight -= 1
        self._finished.append(self._clock())
        self._released.set()

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the manager said 429: it serves nobody for a while)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        return max(self._paused_until - self._clock(), 0.0)

    def has_spare_room(self) -> bool:
        """Nobody waits, nothing pauses calls and the window is less than half used: a call that can wait
        (a cleanup) may go now without taking room that calls arriving soon would need."""
        if self._lock.locked() or self.paused_for > 0:
            return False
        return 2 * self.in_window() < self.limit

    def in_window(self) -> int:
        """Calls that count against the limit now (running, or finished within the window)."""
        self._prune(self._clock())
        return self._in_flight + len(self._finished)

    def _wait_needed(self) -> float:
        now = self._clock()
        if self._paused_until > now:
            return self._paused_until - now
        self._prune(now)
        if self._in_flight + len(self._finished) < self.limit:
            return 0.0
        if self._finished:
            return self._finished[0] + self.window_seconds - now
        return math.inf

    def _prune(self, now: float) -> None:
        horizon = now - self.window_seconds
        while self._finished and self._finished[0] <= horizon:
            self._finished.popleft()
