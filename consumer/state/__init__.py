"""Shared state: duplicate suppression and action coalescing in memory (default) or on DynamoDB, and
the WS rate budget of a fleet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.state.memory import MemoryDedupeStore
from wsbridge.consumer.state.store import Claim, DedupeStore, StateStoreError

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.settings import Settings
    from wsbridge.consumer.state.budget import FleetRateBudget

__all__ = ["Claim", "DedupeStore", "MemoryDedupeStore", "StateStoreError", "fleet_budget", "open_store"]


async def open_store(settings: Settings, aws: AwsClients) -> DedupeStore:
    """The DynamoDB store on ``WSBRIDGE_STATE_TABLE`` when set, else the in-memory one."""
    if not settings.state_table:
        return MemoryDedupeStore()
    from wsbridge.consumer.state.dynamodb import DynamoDbStore

    return DynamoDbStore(await aws.client("dynamodb"), settings.state_table)


async def fleet_budget(settings: Settings, aws: AwsClients) -> FleetRateBudget | None:
    """With ``WSBRIDGE_STATE_TABLE``, ``WSBRIDGE_WS_RATE_LIMIT_PER_MINUTE`` is shared by every replica."""
    if not settings.state_table:
        return None
    from wsbridge.consumer.state.budget import FleetRateBudget

    return FleetRateBudget(
        await aws.client("dynamodb"),
        settings.state_table,
        settings.ws_rate_limit_per_minute,
        window_seconds=settings.ws_rate_limit_window_seconds,
    )
