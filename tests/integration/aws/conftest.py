"""Fixtures of the AWS access-layer tests: fresh member accounts, clients closed after each test, refusing STS."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import pytest_asyncio
from member_accounts import MemberAccount, RefusingSts, member_account, settings

from wsbridge.consumer.aws import AwsClients


@pytest.fixture
def member() -> MemberAccount:
    return member_account()


@pytest_asyncio.fixture
async def make_clients() -> AsyncIterator[Callable[..., AwsClients]]:
    """``make_clients(**settings)``: an :class:`AwsClients` closed after the test."""
    made: list[AwsClients] = []

    def make(**overrides: Any) -> AwsClients:
        clients = AwsClients(settings(**overrides))
        made.append(clients)
        return clients

    yield make
    for clients in made:
        await clients.close()


@pytest.fixture
def refusing_sts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Points STS (only) at a server that denies every AssumeRole; yields the actions it was asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingSts)
    RefusingSts.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{server.server_address[1]}")
    yield RefusingSts.calls
    server.shutdown()
    server.server_close()
