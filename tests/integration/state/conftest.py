"""Stores and budgets as separate replicas would hold them, on one fresh table.

moto does not serialize concurrent conditional writes (DynamoDB does), so the replicas here share
one connection: their requests interleave one at a time, and what is tested is our logic, not moto's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_asyncio
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from support.state_table import state_table

from wsbridge.consumer.state.dynamodb import DynamoDbStore


@pytest.fixture
def table() -> Iterator[str]:
    with state_table() as name:
        yield name


@pytest_asyncio.fixture
async def dynamodb() -> AsyncIterator[Any]:
    config = AioConfig(max_pool_connections=1)
    async with get_session().create_client("dynamodb", config=config) as client:  # type: ignore[call-overload]
        yield client


@pytest.fixture
def replicas(table: str, dynamodb: Any) -> Callable[[], DynamoDbStore]:
    """Makes stores on one table, each with its own owner id, as separate replicas would."""
    return lambda: DynamoDbStore(dynamodb, table)
