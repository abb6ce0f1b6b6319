"""Deletes are batched, a failed batch falls back to single deletes, and a lost lease is reported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from wsbridge.consumer.sqs import BatchDeleter, Message


class FakeSqs:
    """Records the calls; fails the batch call or reports entries as failed on request."""

    def __init__(self, *, batch_fails: bool = False, failed: dict[str, str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.singles: list[str] = []
        self.batch_fails = batch_fails
        self.failed = failed or {}

    async def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.batches.append([entry["ReceiptHandle"] for entry in Entries])
        if self.batch_fails:
            raise ConnectionError("SQS unreachable")
        return {
            "Failed": [
                {"Id": entry["Id"], "Code": self.failed[entry["ReceiptHandle"]]}
                for entry in Entries
                if entry["ReceiptHandle"] in self.failed
            ]
        }

    async def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.singles.append(ReceiptHandle)


def message(index: int) -> Message:
    return Message(f"id-{index}", f"handle-{index}", "{}", 1)


@pytest.fixture
def errors() -> list[str]:
    return []


async def running(deleter: BatchDeleter) -> AsyncIterator[None]:
    task = asyncio.create_task(deleter.run())
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def delete_all(sqs: FakeSqs, count: int, errors: list[str]) -> list[bool]:
    deleter = BatchDeleter(sqs, "queue", linger_seconds=0.05, on_error=lambda operation, _: errors.append(operation))
    async for _ in running(deleter):
        return list(await asyncio.gather(*(deleter.delete(message(index)) for index in range(count))))
    raise AssertionError("unreachable")


async def test_concurrent_deletes_go_out_in_batches_of_at_most_ten(errors: list[str]) -> None:
    sqs = FakeSqs()
    assert await delete_all(sqs, 23, errors) == [True] * 23
    assert sorted(len(batch) for batch in sqs.batches) == [3, 10, 10]
    assert not sqs.singles and not errors


async def test_a_failed_batch_call_falls_back_to_single_deletes(errors: list[str]) -> None:
    sqs = FakeSqs(batch_fails=True)
    assert await delete_all(sqs, 2, errors) == [True, True]
    assert sorted(sqs.singles) == ["handle-0", "handle-1"]
    assert errors == ["DeleteMessageBatch"]


async def test_a_lost_lease_is_not_retried_and_reports_false(errors: list[str]) -> None:
    sqs = FakeSqs(failed={"handle-1": "ReceiptHandleIsInvalid", "handle-2": "InternalError"})
    assert await delete_all(sqs, 3, errors) == [True, False, True]
    assert sqs.singles == ["handle-2"]


class SlowSqs(FakeSqs):
    """Holds every batch call until ``release`` is set, counting how many are held at once."""

    def __init__(self, held_wanted: int) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.reached = asyncio.Event()
        self.held_wanted = held_wanted
        self.held = 0
        self.most_held = 0

    async def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        if self.held == self.held_wanted:
            self.reached.set()
        try:
            await self.release.wait()
            return await super().delete_message_batch(QueueUrl, Entries)
        finally:
            self.held -= 1


async def test_a_slow_batch_does_not_hold_up_the_next_ones_up_to_the_limit(errors: list[str]) -> None:
    sqs = SlowSqs(held_wanted=3)
    deleter = BatchDeleter(sqs, "queue", linger_seconds=0, max_batches_in_flight=3)
    async for _ in running(deleter):
        deletes = [asyncio.ensure_future(deleter.delete(message(index))) for index in range(50)]
        await asyncio.wait_for(sqs.reached.wait(), timeout=5)
        sqs.release.set()
        assert await asyncio.gather(*deletes) == [True] * 50
    assert sqs.most_held == 3
    assert sorted(handle for batch in sqs.batches for handle in batch) == sorted(f"handle-{i}" for i in range(50))


async def test_a_cancelled_deleter_finishes_the_batches_it_sent_and_sends_the_rest(errors: list[str]) -> None:
    sqs = SlowSqs(held_wanted=1)
    deleter = BatchDeleter(sqs, "queue", linger_seconds=0, max_batches_in_flight=1)
    task = asyncio.create_task(deleter.run())
    deletes = [asyncio.ensure_future(deleter.delete(message(index))) for index in range(25)]
    await asyncio.wait_for(sqs.reached.wait(), timeout=5)
    task.cancel()
    await asyncio.sleep(0)
    sqs.release.set()
    await asyncio.gather(task, return_exceptions=True)
    assert await asyncio.gather(*deletes) == [True] * 25


async def test_ten_deletes_go_out_together_without_waiting_for_the_linger(errors: list[str]) -> None:
    sqs = FakeSqs()
    deleter = BatchDeleter(sqs, "queue", linger_seconds=60)
    async for _ in running(deleter):
        deletes = []
        for index in range(10):
            deletes.append(asyncio.ensure_future(deleter.delete(message(index))))
            await asyncio.sleep(0)
        assert await asyncio.wait_for(asyncio.gather(*deletes), timeout=5) == [True] * 10
    assert [len(batch) for batch in sqs.batches] == [10]
