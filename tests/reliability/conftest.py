from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from harness import EventBus, full_scale
from support.daemon import QueueUnderTest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "reliability" in str(item.fspath):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def bus_factory() -> Iterator[Any]:
    created: list[EventBus] = []

    def make(queue: QueueUnderTest) -> EventBus:
        bus = EventBus.to_queue(queue)
        created.append(bus)
        return bus

    yield make
    for bus in created:
        bus.delete()


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Any:
    """Print a line of figures past pytest's capture, so every run shows them."""

    def say(line: str) -> None:
        with capsys.disabled():
            print(f"\n  [{'full' if full_scale() else 'reduced'}] {line}", flush=True)

    return say
