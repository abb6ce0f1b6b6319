"""Shared state: duplicate suppression and action coalescing in memory (default) or on DynamoDB."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.state.memory import MemoryDedupeStore
from wsbridge.consumer.state.store import Claim, DedupeStore, StateStoreError

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.settings import Settings

__all__ = ["Claim", "DedupeStore", "MemoryDedupeStore", "StateStoreError", "open_store"]


async def open_store(settings: Settings, aws: AwsClients) -> DedupeStore:
    """The DynamoDB store on ``WSBRIDGE_STATE_TABLE`` when set, else the in-memory one."""
    if not settings.state_table:
        return MemoryDedupeStore()
    from wsbridge.consumer.state.dynamodb import DynamoDbStore

    return DynamoDbStore(await aws.client("dynamodb"), settings.state_table)
