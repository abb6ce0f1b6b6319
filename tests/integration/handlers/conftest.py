from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from support.planning import RecordingNotifier, client, context, seed, start_sandbox
from support.sandbox import admin

from wsbridge.consumer.handler import HandlerContext
from wsbridge.consumer.services import Services


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A WS sandbox process for the planning tests, seeded so that the samples' instances are computers."""
    seed_file: Path = tmp_path_factory.mktemp("sandbox") / "seed.json"
    seed_file.write_text(json.dumps(seed()))
    yield from start_sandbox(seed_file)


@pytest.fixture
def sandbox(sandbox_url: str) -> str:
    """The sandbox, back at its seed with an empty call log."""
    admin(sandbox_url, "POST", "reset")
    return sandbox_url


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest_asyncio.fixture
async def services(sandbox: str, notifier: RecordingNotifier) -> AsyncIterator[Services]:
    """A WS client on the sandbox and a recording notifier."""
    async with client(sandbox) as ws:
        yield Services(ws=ws, notify=notifier)


@pytest.fixture
def planning(services: Services) -> HandlerContext:
    return context(services)
