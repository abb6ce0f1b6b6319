"""Fixtures shared by the suites that drive the daemon against real queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.daemon import QueueUnderTest, make_queue


@pytest.fixture
def queue_factory() -> Iterator[Callable[..., QueueUnderTest]]:
    """Makes fresh queue + DLQ pairs and deletes them after the test."""
    created: list[QueueUnderTest] = []

    def make(**options: Any) -> QueueUnderTest:
        queue = make_queue(**options)
        created.append(queue)
        return queue

    yield make
    for queue in created:
        for url in (queue.url, queue.dlq_url):
            queue.sqs.delete_queue(QueueUrl=url)
