"""A message waiting for a scan gives its worker slot up and takes one back before new receives;
a busy daemon receives whole batches whose rest waits in line for a slot."""

from __future__ import annotations

import asyncio

from wsbridge.consumer.slots import Reservation, SlotLease, WorkerSlots, take_slot, waiting


def never() -> bool:
    return False


def nothing() -> None:
    pass


async def delivered(slots: WorkerSlots, count: int) -> None:
    """``count`` messages received into free slots (their tasks hold them from then on)."""
    reservation = await slots.reserve(count, never, nothing)
    assert slots.received(reservation, count) == count


def finished(slots: WorkerSlots, count: int) -> None:
    """``count`` delivered messages are done and free their slots."""
    for _ in range(count):
        slots.release(SlotLease(slots))


async def message(slots: WorkerSlots, parked: asyncio.Event, go_on: asyncio.Event, log: list[str], name: str) -> None:
    lease = slots.lease()
    try:
        async with waiting():
            parked.set()
            await go_on.wait()
        log.append(f"{name} resumed")
    finally:
        slots.release(lease)


async def parked_message(slots: WorkerSlots, name: str = "a") -> tuple[asyncio.Task[None], asyncio.Event, list[str]]:
    """A delivered message inside ``waiting()``; setting the event lets it go on."""
    await delivered(slots, 1)
    parked, go_on, log = asyncio.Event(), asyncio.Event(), list[str]()
    waiter = asyncio.create_task(message(slots, parked, go_on, log, name))
    await asyncio.wait_for(parked.wait(), timeout=5)
    return waiter, go_on, log


async def resuming_while_another_message_holds_the_slot(slots: WorkerSlots) -> tuple[asyncio.Task[None], list[str]]:
    """A parked message whose slot another delivered message took, now waiting to take a slot back."""
    waiter, go_on, log = await parked_message(slots)
    await delivered(slots, 1)
    go_on.set()
    await asyncio.sleep(0.01)
    assert not waiter.done()
    return waiter, log


async def test_a_waiting_message_frees_its_slot_for_a_new_receive() -> None:
    slots = WorkerSlots(1)
    waiter, go_on, log = await parked_message(slots)
    assert (await asyncio.wait_for(slots.reserve(10, never, nothing), timeout=5)).slots == 1
    assert slots.parked == 1
    go_on.set()
    await asyncio.wait_for(waiter, timeout=5)
    assert log == ["a resumed"]


async def test_a_message_takes_its_slot_back_from_a_receive_on_its_way() -> None:
    slots = WorkerSlots(1)
    waiter, go_on, log = await parked_message(slots)
    on_its_way = await slots.reserve(10, never, nothing)
    go_on.set()
    await asyncio.wait_for(waiter, timeout=5)
    assert log == ["a resumed"]
    assert slots.received(on_its_way, 1) == 0
    assert (slots.free, slots.queued, slots.parked) == (1, 1, 0)


async def test_a_resuming_message_goes_before_new_receives() -> None:
    slots = WorkerSlots(1)
    waiter, log = await resuming_while_another_message_holds_the_slot(slots)
    receive = asyncio.create_task(slots.reserve(1, never, nothing))
    finished(slots, 1)
    await asyncio.wait_for(waiter, timeout=5)
    assert log == ["a resumed"]
    assert (await asyncio.wait_for(receive, timeout=5)).slots == 1
    assert slots.free == 0 and slots.parked == 0


async def test_freed_slots_go_to_waiting_messages_in_the_order_they_came_back() -> None:
    slots = WorkerSlots(3)
    log: list[str] = []
    events = {name: (asyncio.Event(), asyncio.Event()) for name in "ab"}
    await delivered(slots, 2)
    tasks = [asyncio.create_task(message(slots, *events[name], log, name)) for name in "ab"]
    for parked, _ in events.values():
        await asyncio.wait_for(parked.wait(), timeout=5)
    await delivered(slots, 3)
    for name in "ba":
        events[name][1].set()
        await asyncio.sleep(0.01)
    finished(slots, 1)
    await asyncio.wait_for(tasks[1], timeout=5)
    finished(slots, 1)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert log == ["b resumed", "a resumed"] and (slots.parked, slots.free) == (0, 2)


async def test_beyond_the_bound_a_waiting_message_keeps_its_slot() -> None:
    slots = WorkerSlots(1, parked_per_slot=0)
    waiter, go_on, _ = await parked_message(slots)
    assert slots.free == 0 and slots.parked == 0
    go_on.set()
    await asyncio.wait_for(waiter, timeout=5)
    assert slots.free == 1


async def test_a_message_cancelled_while_taking_a_slot_back_leaves_the_count_right() -> None:
    slots = WorkerSlots(2)
    await delivered(slots, 1)
    waiter, log = await resuming_while_another_message_holds_the_slot(slots)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    finished(slots, 2)
    assert (slots.free, slots.parked, log) == (2, 0, [])


async def test_waiting_outside_a_message_changes_nothing() -> None:
    async with waiting():
        pass


async def receive_with_one_slot_free(size: int) -> tuple[WorkerSlots, Reservation]:
    """A daemon of ``size`` slots with all but one working, and the receive that one slot lets go."""
    slots = WorkerSlots(size)
    await delivered(slots, size - 1)
    return slots, await slots.reserve(10, never, nothing)


async def test_a_busy_daemon_receives_a_whole_batch_and_the_rest_waits_in_line() -> None:
    slots, reservation = await receive_with_one_slot_free(32)
    assert (reservation.slots, reservation.queued) == (1, 9)
    assert slots.received(reservation, 10) == 1
    next_receive = asyncio.create_task(slots.reserve(10, never, nothing))
    log: list[str] = []

    async def queued(name: str) -> None:
        lease = slots.lease(held=False)
        await take_slot()
        log.append(name)
        slots.release(lease)

    waiting_messages = [asyncio.create_task(queued(str(n))) for n in range(9)]
    await asyncio.sleep(0.01)
    assert log == [] and not next_receive.done()
    finished(slots, 1)
    await asyncio.wait_for(asyncio.gather(*waiting_messages), timeout=5)
    assert log == [str(n) for n in range(9)]
    following: Reservation = await asyncio.wait_for(next_receive, timeout=5)
    assert (following.slots, following.queued) == (1, 9)


async def test_a_receive_never_asks_for_more_messages_than_there_are_slots() -> None:
    slots, reservation = await receive_with_one_slot_free(4)
    assert (reservation.slots, reservation.queued) == (1, 3)
    assert slots.received(reservation, 2) == 1
    assert slots.queued == 1


async def test_an_idle_daemon_takes_only_free_slots() -> None:
    slots = WorkerSlots(1)
    reservation = await slots.reserve(10, never, nothing)
    assert (reservation.slots, reservation.queued) == (1, 0)
