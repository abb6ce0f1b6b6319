from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aiobotocore.session import get_session
from support.state_table import state_table

from wsbridge.consumer.state.dynamodb import DynamoDbStore


@pytest.fixture
def table() -> Iterator[str]:
    with state_table() as name:
        yield name


@pytest_asyncio.fixture
async def replicas(table: str) -> AsyncIterator[Callable[[], DynamoDbStore]]:
    """Makes stores on one table as separate replicas would (each with its own client and owner id)."""
    clients: list[Any] = []
    session = get_session()

    async def close() -> None:
        for client in clients:
            await client.__aexit__(None, None, None)

    made: list[DynamoDbStore] = []

    def make() -> DynamoDbStore:
        store = DynamoDbStore(clients[len(made)], table)
        made.append(store)
        return store

    for _ in range(3):
        clients.append(await session.create_client("dynamodb").__aenter__())  # type: ignore[call-overload]
    yield make
    await close()
