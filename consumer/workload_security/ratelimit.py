"""Client-side rate limit: at most ``limit`` calls in any sliding window, shared by every worker.

The manager counts calls received in the last 60 seconds and, once a limit is passed, refuses
everything until the count drops again. A sliding window (not a token bucket, which allows up to
twice the limit within one window) keeps the client under that count by construction.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Admits callers in FIFO order so that no window of ``window_seconds`` holds more than ``limit`` calls."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("the rate limit needs limit >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window (and any pause has passed), then count it."""
        async with self._lock:
            while True:
                wait = self._wait_needed()
                if wait <= 0:
                    self._admitted.append(self._clock())
                    return
                await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (the manager said 429: it serves nobody for a while)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        return max(self._paused_until - self._clock(), 0.0)

    def in_window(self) -> int:
        """Calls admitted within the current window."""
        self._prune(self._clock())
        return len(self._admitted)

    def _wait_needed(self) -> float:
        now = self._clock()
        if self._paused_until > now:
            return self._paused_until - now
        self._prune(now)
        if len(self._admitted) < self.limit:
            return 0.0
        return self._admitted[0] + self.window_seconds - now

    def _prune(self, now: float) -> None:
        horizon = now - self.window_seconds
        while self._admitted and self._admitted[0] <= horizon:
            self._admitted.popleft()
