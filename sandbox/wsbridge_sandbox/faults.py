"""The fault knobs of ``POST /_sandbox/faults`` and the manager's 60-second rate window."""

from __future__ import annotations

import random
import time
from collections import deque
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Faults(BaseModel):
    """Current fault settings. ``POST /_sandbox/faults`` changes only the keys it names."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="Share of API calls answered with error_status")
    error_status: int = Field(500, ge=400, le=599, description="Status of injected errors")
    fail_next: int = Field(0, ge=0, description="The next N API calls fail with error_status")
    throttle_next: int = Field(0, ge=0, description="The next N API calls get 429 Too many API requests")
    slow_next: int = Field(0, ge=0, description="The next N API calls take slow_ms longer")
    slow_ms: float = Field(0.0, ge=0.0, description="Added to each of the slow_next calls")
    error_after_processing: bool = Field(False, description="Inject errors after the call took effect")
    latency_ms: float = Field(0.0, ge=0.0, description="Added to every API call")
    down: bool = Field(False, description="Full outage: every API call gets 503")
    rate_limit_per_minute: int | None = Field(500, ge=0, description="Calls per key per window; 0/null = off")
    rate_limit_window_seconds: float = Field(60.0, gt=0.0, description="Length of the rate window")
    retry_after_seconds: float | None = Field(None, ge=0.0, description="Retry-After on 429/503 answers")
    scan_delay_ms: float = Field(0.0, ge=0.0, description="Run-now scans finish this long after the task is created")
    task_auto_delete: bool = Field(True, description="Run-once tasks disappear after they ran")
    unsearchable_fields: list[str] = Field(default_factory=list, description="fieldNames that searches refuse (400)")
    random_seed: int | None = Field(None, description="Seed of the error_rate dice (for repeatable runs)")

    def updated(self, changes: dict[str, Any]) -> Faults:
        """A validated copy with ``changes`` applied."""
        return Faults.model_validate({**self.model_dump(), **changes})

    def next_delay_ms(self) -> float:
        """The delay of an arriving API call: ``latency_ms``, plus ``slow_ms`` while ``slow_next`` lasts (consumed)."""
        if self.slow_next > 0:
            self.slow_next -= 1
            return self.latency_ms + self.slow_ms
        return self.latency_ms

    def take_throttle(self) -> bool:
        """True (and one fewer left) while ``throttle_next`` lasts."""
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return True
        return False


class FaultDice:
    """Decides which calls get an injected error."""

    def __init__(self) -> None:
        self._random = random.Random()

    def reseed(self, seed: int | None) -> None:
        """Restart the dice (``None`` = unpredictable)."""
        self._random = random.Random(seed)

    def should_fail(self, faults: Faults) -> bool:
        """Consumes ``fail_next`` first, then rolls ``error_rate``."""
        if faults.fail_next > 0:
            faults.fail_next -= 1
            return True
        return faults.error_rate > 0 and self._random.random() < faults.error_rate


class RateWindow:
    """Calls per API key in the last window; while a key is over its limit, nothing is served or counted."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}

    def admit(self, key: str, limit: int | None, window: float) -> bool:
        """Count one call for ``key``, or refuse it (not counted) when the window is full."""
        if not limit:
            return True
        now = time.monotonic()
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return False
        calls.append(now)
        return True

    def clear(self) -> None:
        """Forget all counts."""
        self._calls.clear()
