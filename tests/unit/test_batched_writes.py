"""Done marks written at about the same time share BatchWriteItem requests, and each writer learns
whether its own item was written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from wsbridge.consumer.state import StateStoreError
from wsbridge.consumer.state.batched_writes import MAX_ITEMS_PER_REQUEST, GroupedWriter


class FakeTable:
    """Records every request; the first can be held open; items can be left unprocessed or fail."""

    def __init__(self, *, hold_first: bool = False, unprocessed_times: int = 0, fail: bool = False) -> None:
        self.requests: list[list[str]] = []
        self.written: dict[str, dict[str, Any]] = {}
        self.release_first = asyncio.Event()
        if not hold_first:
            self.release_first.set()
        self._unprocessed_times = unprocessed_times
        self._fail = fail

    async def batch_write(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [_key(request) for request in requests]
        assert len(set(keys)) == len(keys), "BatchWriteItem refuses two writes to one key"
        assert len(requests) <= MAX_ITEMS_PER_REQUEST
        self.requests.append(keys)
        if len(self.requests) == 1:
            await self.release_first.wait()
        if self._fail:
            raise StateStoreError("table unavailable")
        if self._unprocessed_times:
            self._unprocessed_times -= 1
            return requests
        for request in requests:
            if "PutRequest" in request:
                self.written[_key(request)] = request["PutRequest"]["Item"]
            else:
                self.written.pop(_key(request), None)
        return []


def _key(request: dict[str, Any]) -> str:
    item = request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
    return str(item["pk"]["S"])


def _item(key: str, state: str = "done") -> dict[str, Any]:
    return {"pk": {"S": key}, "state": {"S": state}}


async def test_writes_arriving_while_one_request_is_in_flight_go_out_together_once_it_returns() -> None:
    table = FakeTable(hold_first=True)
    writer = GroupedWriter(table.batch_write)
    first = asyncio.create_task(writer.put("a", _item("a")))
    await asyncio.sleep(0)
    later = [asyncio.create_task(writer.put(key, _item(key))) for key in "bcd"]
    await asyncio.sleep(0.01)

    assert table.requests == [["a"]]
    assert not any(task.done() for task in [first, *later])
    table.release_first.set()
    await asyncio.gather(first, *later)
    assert table.requests == [["a"], ["b", "c", "d"]]
    assert set(table.written) == {"a", "b", "c", "d"}


async def test_more_writes_than_one_request_holds_are_split_into_several() -> None:
    table = FakeTable()
    writer = GroupedWriter(table.batch_write)
    keys = [f"event:{index}" for index in range(2 * MAX_ITEMS_PER_REQUEST + 3)]
    await asyncio.gather(*(writer.put(key, _item(key)) for key in keys))

    assert sorted(len(request) for request in table.requests) == [3, MAX_ITEMS_PER_REQUEST, MAX_ITEMS_PER_REQUEST]
    assert set(table.written) == set(keys)


async def test_two_writes_to_one_key_in_a_batch_leave_the_later_one() -> None:
    table = FakeTable(hold_first=True)
    writer = GroupedWriter(table.batch_write)
    first = asyncio.create_task(writer.put("other", _item("other")))
    await asyncio.sleep(0)
    earlier = asyncio.create_task(writer.put("k", _item("k", "done")))
    await asyncio.sleep(0)
    latest = asyncio.create_task(writer.delete("k", {"pk": {"S": "k"}}))
    await asyncio.sleep(0)
    table.release_first.set()
    await asyncio.gather(first, earlier, latest)

    assert table.requests == [["other"], ["k"]]
    assert "k" not in table.written


async def test_items_left_unprocessed_are_sent_again() -> None:
    table = FakeTable(unprocessed_times=2)
    writer = GroupedWriter(table.batch_write, retry_delay_seconds=0)
    await writer.put("k", _item("k"))

    assert table.requests == [["k"], ["k"], ["k"]]
    assert "k" in table.written


async def test_a_failed_request_fails_every_write_in_it() -> None:
    table = FakeTable(fail=True)
    writer = GroupedWriter(table.batch_write)
    results = await asyncio.gather(*(writer.put(key, _item(key)) for key in "ab"), return_exceptions=True)

    assert [type(result) for result in results] == [StateStoreError, StateStoreError]


async def test_items_never_processed_are_a_store_error() -> None:
    table = FakeTable(unprocessed_times=100)
    writer = GroupedWriter(table.batch_write, retry_delay_seconds=0)
    with pytest.raises(StateStoreError, match="unprocessed"):
        await writer.put("k", _item("k"))
