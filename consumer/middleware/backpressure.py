"""Back-pressure from the Workload Security API: receive nothing while it is throttling us or its circuit is open.

While the circuit is half-open, a cheap read probes it (the poller holds meanwhile), so that no
message is received only to fail again and spend one of its receives on the way to the DLQ.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Self

from wsbridge.consumer.middleware.base import Middleware

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import Settings
    from wsbridge.consumer.workload_security import WorkloadSecurityClient


class WorkloadSecurityBackPressure(Middleware):
    """Holds receives while the WS client is paused (429, rate budget) or probing a half-open circuit."""

    def __init__(self, ws: WorkloadSecurityClient | None, probe_interval_seconds: float = 0.5) -> None:
        self._ws = ws
        self._interval = probe_interval_seconds
        self._prober: asyncio.Task[None] | None = None

    @classmethod
    def from_runtime(cls, settings: Settings, services: Services) -> Self:
        """Watch the daemon's WS client (no client: never hold)."""
        return cls(services.ws)

    def hold_receives(self) -> bool:
        """True while the WS API is paused or being probed."""
        return self._ws is not None and (self._ws.paused or self._ws.probing)

    async def startup(self) -> None:
        """Start the half-open probe."""
        if self._ws is not None:
            self._prober = asyncio.create_task(probe_when_half_open(self._ws, self._interval), name="ws-probe")

    async def shutdown(self) -> None:
        """Stop the probe."""
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
            self._prober = None


async def probe_when_half_open(ws: WorkloadSecurityClient, interval_seconds: float = 0.5) -> None:
    """While the WS circuit is half-open, probe it with a cheap read."""
    while True:
        await asyncio.sleep(interval_seconds)
        if ws.probing:
            with contextlib.suppress(Exception):
                await ws.check()
