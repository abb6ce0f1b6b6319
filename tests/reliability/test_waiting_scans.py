"""A message waiting for a scan's results gives its worker slot up: one slot serves many instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import harness
import pytest
from harness import FIRST_COMPUTER_ID, Actions, EventBus, Sandbox, guardduty_detail, instance_id, start_daemon
from support.daemon import Daemon, QueueUnderTest, wait_for

INSTANCES = 4
SCAN_DELAY_MS = 6000


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox(INSTANCES)
    sandbox.faults(scan_delay_ms=SCAN_DELAY_MS)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.mark.timeout(180)
def test_one_worker_slot_starts_every_instances_scan_before_the_first_results_arrive(
    tmp_path: Path,
    sandbox: Sandbox,
    queue_factory: Callable[..., QueueUnderTest],
    bus_factory: Callable[[QueueUnderTest], EventBus],
) -> None:
    queue = queue_factory(max_receive_count=5, visibility_timeout=30)
    targets = [FIRST_COMPUTER_ID + n for n in range(INSTANCES)]
    daemons: list[Daemon] = []
    with harness.stopping(daemons):
        daemons.append(
            start_daemon(
                queue,
                tmp_path,
                ws_url=sandbox.api_url,
                concurrency=1,
                ws_scan_poll_seconds=0.5,
                ws_scan_wait_seconds=60,
            )
        )
        bus_factory(queue).put([guardduty_detail(instance_id(n)) for n in range(INSTANCES)])
        wait_for(
            lambda: queue.depth() == 0 and not Actions.from_calls(sandbox.calls()).missing(targets),
            120,
            interval=1,
            what="every instance protected",
        )
    order = [kind for kind in map(recommendation_step, sandbox.calls()) if kind]
    assert order.count("scan") == INSTANCES
    assert order.index("assign") > max(i for i, kind in enumerate(order) if kind == "scan"), order


def recommendation_step(call: dict[str, Any]) -> str | None:
    """``scan`` for a recommendation scan task created, ``assign`` for rules assigned, else ``None``."""
    if call["method"] != "POST" or call["status"] != 200:
        return None
    if call["path"] == "/api/scheduledtasks" and call["body"]["type"] == "scan-for-recommendations":
        return "scan"
    return "assign" if call["path"].endswith("/intrusionprevention/assignments") else None
