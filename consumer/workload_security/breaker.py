"""Circuit breaker: stop calling an API that keeps failing, probe it again after a pause.

Closed: calls flow; ``failure_threshold`` consecutive failures open the circuit. Open: calls fail
at once for ``reset_seconds``. Then half-open: one caller probes; the others wait for its outcome.
A success closes the circuit, a failure opens it for another ``reset_seconds``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    """The three states of the breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class BreakerOpen(Exception):
    """Raised by :meth:`CircuitBreaker.acquire` while the circuit is open."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"circuit open, next probe in {retry_in:.1f} s")
        self.retry_in = retry_in


class CircuitBreaker:
    """Counts consecutive failures; ``on_change(open)`` is called on every open/close transition."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_seconds: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._on_change = on_change
        self._failures = 0
        self._opened_at: float | None = None
        self._probe: asyncio.Event | None = None

    @property
    def state(self) -> BreakerState:
        """Current state (half-open once the open period has passed)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probe is not None or self._clock() >= self._opened_at + self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def is_open(self) -> bool:
        """True while calls are refused (not during the half-open probe)."""
        return self.state is BreakerState.OPEN

    async def acquire(self) -> bool:
        """Admit one call or raise :class:`BreakerOpen`. Returns True when this call is the probe."""
        while True:
            state = self.state
            if state is BreakerState.CLOSED:
                return False
            if state is BreakerState.OPEN:
                assert self._opened_at is not None
                raise BreakerOpen(self._opened_at + self.reset_seconds - self._clock())
            if self._probe is None:
                self._probe = asyncio.Event()
                return True
            await self._probe.wait()

    def record_success(self) -> None:
        """The API answered (any status that is not a server failure): the circuit closes."""
        self._failures = 0
        if self._opened_at is not None:
            self._opened_at = None
            self._end_probe()
            self._notify(False)

    def record_failure(self, probe: bool = False) -> None:
        """A 5xx, timeout or connection failure."""
        self._failures += 1
        if probe or (self._opened_at is None and self._failures >= self.failure_threshold):
            was_open = self._opened_at is not None
            self._opened_at = self._clock()
            self._end_probe()
            if not was_open:
                self._notify(True)

    def release(self, probe: bool) -> None:
        """The call ended without telling anything about the API (cancelled, client-side error)."""
        if probe:
            self._end_probe()

    def _end_probe(self) -> None:
        if self._probe is not None:
            self._probe.set()
            self._probe = None

    def _notify(self, opened: bool) -> None:
        if self._on_change is not None:
            self._on_change(opened)
