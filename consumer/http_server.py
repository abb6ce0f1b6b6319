"""The aiohttp server for /metrics, /healthz (the poll loops are alive) and /readyz (SQS and WS answer)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wsbridge.consumer.metrics import registry

Probe = Callable[[], Awaitable[dict[str, str]]]


class HealthServer:
    """Serves the three endpoints; ``alive`` and ``ready`` are supplied by the daemon."""

    def __init__(self, alive: Callable[[], bool], ready: Probe, ready_cache_seconds: float = 5.0) -> None:
        """``ready`` returns failing dependencies as {name: reason}; empty means ready."""
        self._alive = alive
        self._ready = ready
        self._cache_seconds = ready_cache_seconds
        self._cached: tuple[float, dict[str, str]] | None = None
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_get("/metrics", self._metrics)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (port 0 picks a free one) and return the bound port."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(registry()))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        if self._alive():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "failing", "reason": "the poll loop made no progress"}, status=503)

    async def _readyz(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self._cache_seconds:
            self._cached = (now, await self._ready())
        failing = self._cached[1]
        if failing:
            return web.json_response({"status": "not ready", "failing": failing}, status=503)
        return web.json_response({"status": "ready"})
