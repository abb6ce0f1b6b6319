"""Unconditional writes to one table, grouped into BatchWriteItem requests.

A write that arrives while none is in flight goes out at once; the writes that arrive while a
request is in flight go out together as soon as it returns (up to 25 items per request, several
requests at a time when more are waiting). So no write waits for a timer, and under load many
writes share a round trip. Each writer returns only once its own item is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from wsbridge.consumer.state.store import StateStoreError

MAX_ITEMS_PER_REQUEST = 25
"""DynamoDB's limit for one BatchWriteItem."""

UNPROCESSED_ATTEMPTS = 4
"""How often items DynamoDB left unprocessed (throttled) are sent again before the write fails."""

BatchWrite = Callable[[list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]
"""Sends write requests in one BatchWriteItem; answers the ones left unprocessed."""


class GroupedWriter:
    """Puts and deletes of whole items by key; concurrent writes share BatchWriteItem requests."""

    def __init__(self, batch_write: BatchWrite, *, retry_delay_seconds: float = 0.05) -> None:
        """``batch_write`` sends one request; it raises :class:`StateStoreError` when the table fails."""
        self._batch_write = batch_write
        self._retry_delay = retry_delay_seconds
        self._waiting: dict[str, tuple[dict[str, Any], list[asyncio.Future[None]]]] = {}
        self._flushing: asyncio.Task[None] | None = None

    async def put(self, key: str, item: dict[str, Any]) -> None:
        """Write ``item`` (whose key is ``key``) as it is, replacing any item with that key."""
        await self._write(key, {"PutRequest": {"Item": item}})

    async def delete(self, key: str, item_key: dict[str, Any]) -> None:
        """Remove the item ``item_key`` (whose key is ``key``) if there is one."""
        await self._write(key, {"DeleteRequest": {"Key": item_key}})

    async def _write(self, key: str, request: dict[str, Any]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        earlier = self._waiting.get(key)
        self._waiting[key] = (request, [*(earlier[1] if earlier else []), done])
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._waiting:
            waiting, self._waiting = list(self._waiting.values()), {}
            groups = [
                waiting[start : start + MAX_ITEMS_PER_REQUEST]
                for start in range(0, len(waiting), MAX_ITEMS_PER_REQUEST)
            ]
            await asyncio.gather(*(self._send(group) for group in groups))

    async def _send(self, group: list[tuple[dict[str, Any], list[asyncio.Future[None]]]]) -> None:
        failure: StateStoreError | None = None
        try:
            await self._write_all([request for request, _ in group])
        except StateStoreError as error:
            failure = error
        except Exception as error:
            failure = StateStoreError(str(error))
        for _, futures in group:
            for future in futures:
                if future.done():
                    continue
                if failure is None:
                    future.set_result(None)
                else:
                    future.set_exception(failure)

    async def _write_all(self, requests: list[dict[str, Any]]) -> None:
        for attempt in range(UNPROCESSED_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
            requests = await self._batch_write(requests)
            if not requests:
                return
        raise StateStoreError(f"{len(requests)} writes left unprocessed after {UNPROCESSED_ATTEMPTS} attempts")
