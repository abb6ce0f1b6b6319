"""The WS sandbox as a real subprocess (one per test session), reset before every test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from support.sandbox import API_KEY, SEED, SandboxProcess

from wsbridge.consumer.workload_security import ClientOptions, WorkloadSecurityClient

AUDITOR_KEY = "sandbox-auditor-key"
FAST = {
    "retry_base_seconds": 0.01,
    "retry_max_seconds": 0.05,
    "breaker_reset_seconds": 0.3,
    "scan_poll_seconds": 0.02,
    "scan_wait_seconds": 2.0,
    "timeout_seconds": 5.0,
    "rate_limit_per_minute": 1_000_000,
}


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL (no /api) of a sandbox started for this session, rate limit off unless a test sets it."""
    with SandboxProcess(SEED) as process:
        yield process.url


@dataclass
class Sandbox:
    """Admin and raw API access to the session's sandbox."""

    url: str
    session: aiohttp.ClientSession

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, self.url + "/_sandbox/" + path, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def reset(self) -> None:
        await self.admin("POST", "reset")

    async def faults(self, **knobs: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("POST", "faults", knobs)
        return result

    async def calls(self, since: int = 0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self.admin("GET", f"calls?since={since}"))["calls"]
        return result

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "state")
        return result

    async def computer(self, computer_id: int) -> dict[str, Any]:
        return next(c for c in (await self.state())["computers"] if c["ID"] == computer_id)

    async def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = API_KEY,
        scheme: str = "apikey",
        version: str | None = "v1",
        params: Any = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """A raw API call: (status, decoded JSON or None, headers)."""
        headers = {}
        if version is not None:
            headers["api-version"] = version
        if key is not None:
            headers.update({"Authorization": f"ApiKey {key}"} if scheme == "apikey" else {"api-secret-key": key})
        async with self.session.request(
            method, self.api_url + path, json=body, headers=headers, params=params
        ) as response:
            text = await response.text()
            data = await response.json() if text else None
            return response.status, data, dict(response.headers)


@pytest_asyncio.fixture
async def sandbox(sandbox_url: str) -> AsyncIterator[Sandbox]:
    async with aiohttp.ClientSession() as session:
        box = Sandbox(sandbox_url, session)
        await box.admin("POST", "seed", json.loads(SEED.read_text()))
        await box.reset()
        yield box


@pytest_asyncio.fixture
async def make_client(sandbox: Sandbox) -> AsyncIterator[Callable[..., WorkloadSecurityClient]]:
    """Build clients against the sandbox with short backoff; all are closed after the test."""
    clients: list[WorkloadSecurityClient] = []

    def make(api_key: str = API_KEY, url: str | None = None, **options: Any) -> WorkloadSecurityClient:
        client = WorkloadSecurityClient(url or sandbox.api_url, api_key, ClientOptions(**{**FAST, **options}))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def sample(name: str, **labels: str) -> float:
    """Current value of a Prometheus sample (0 when it does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metric() -> Callable[..., float]:
    """``metric(name, **labels)``: the current value of a Prometheus sample."""
    return sample
