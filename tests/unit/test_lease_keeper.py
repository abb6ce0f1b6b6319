"""One task keeps the leases of every message in flight, in batched calls, and stops when told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from wsbridge.consumer.leases import LeaseKeeper
from wsbridge.consumer.sqs import Message, QueueClient


def message(index: int) -> Message:
    return Message(f"id-{index}", f"handle-{index}", "{}", 1)


class FakeQueue:
    """Records each ``extend`` call; holds calls while ``hold`` is cleared."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.called = asyncio.Event()
        self.hold = asyncio.Event()
        self.hold.set()

    async def extend(self, messages: Sequence[Message], seconds: int) -> list[Message]:
        self.calls.append([each.message_id for each in messages])
        self.called.set()
        await self.hold.wait()
        return list(messages)


@pytest.fixture
async def keeper_and_queue() -> AsyncIterator[tuple[LeaseKeeper, FakeQueue, list[str]]]:
    queue = FakeQueue()
    extended: list[str] = []
    keeper = LeaseKeeper(queue, 0.5, 30, lambda each: extended.append(each.message_id))  # type: ignore[arg-type]
    task = asyncio.create_task(keeper.run())
    yield keeper, queue, extended
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_messages_kept_together_are_extended_in_one_call(
    keeper_and_queue: tuple[LeaseKeeper, FakeQueue, list[str]],
) -> None:
    keeper, queue, extended = keeper_and_queue
    for index in range(12):
        keeper.keep(message(index))
    await asyncio.wait_for(queue.called.wait(), timeout=5)
    assert queue.calls == [[f"id-{index}" for index in range(12)]]
    await asyncio.sleep(0)
    assert len(extended) == 12


async def test_a_dropped_message_is_not_extended(keeper_and_queue: tuple[LeaseKeeper, FakeQueue, list[str]]) -> None:
    keeper, queue, extended = keeper_and_queue
    keeper.keep(message(1))
    keeper.keep(message(2))
    await keeper.drop(message(1))
    await asyncio.wait_for(queue.called.wait(), timeout=5)
    await asyncio.sleep(0)
    assert queue.calls == [["id-2"]] and extended == ["id-2"]


async def test_dropping_waits_for_an_extension_on_its_way(
    keeper_and_queue: tuple[LeaseKeeper, FakeQueue, list[str]],
) -> None:
    keeper, queue, extended = keeper_and_queue
    queue.hold.clear()
    keeper.keep(message(1))
    await asyncio.wait_for(queue.called.wait(), timeout=5)
    dropping = asyncio.create_task(keeper.drop(message(1)))
    await asyncio.sleep(0.01)
    assert not dropping.done()
    queue.hold.set()
    await asyncio.wait_for(dropping, timeout=5)
    assert extended == []


class FakeSqs:
    async def change_message_visibility_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Failed": [{"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid"} for entry in Entries[:1]]}


async def test_a_refused_extension_is_not_reported_as_extended() -> None:
    queue = QueueClient(FakeSqs(), "queue", None)
    extended = await queue.extend([message(index) for index in range(12)], 30)
    assert [each.message_id for each in extended] == [f"id-{index}" for index in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)]
