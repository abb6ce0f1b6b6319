"""The WS API down for a while: the circuit opens, receiving stops, nothing burns towards the DLQ, then all recovers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import FIRST_COMPUTER_ID, Actions, Sandbox, guardduty_detail, instance_id, scaled, start_daemon
from support.daemon import QueueUnderTest, wait_for

OUTAGE_SECONDS = scaled(15, 60)
FINDINGS = int(scaled(60, 200))
MAX_RECEIVE_COUNT = 5
DAEMON: dict[str, Any] = {
    "ws_breaker_failures": 5,
    "ws_breaker_reset_seconds": 5,
    "ws_retry_base_seconds": 0.1,
    "ws_retry_max_seconds": 0.5,
    "ws_max_attempts": 3,
    "ws_rate_limit_per_minute": 100_000,
    "ws_scan_poll_seconds": 0.2,
    "retry_base_seconds": 2,
    "retry_max_seconds": 8,
    "health_max_poll_age_seconds": 10,
}


def envelope(instance: str) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": f"outage-{instance}",
            "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty",
            "account": "123456789012",
            "time": "2026-11-27T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": guardduty_detail(instance),
        }
    )


@pytest.mark.timeout(int(scaled(240, 600)))
def test_a_ws_outage_opens_the_circuit_stops_receiving_and_recovers(
    tmp_path: Path, queue_factory: Callable[..., QueueUnderTest], report: Callable[[str], None]
) -> None:
    sandbox = Sandbox(FINDINGS)
    queue = queue_factory(max_receive_count=MAX_RECEIVE_COUNT, visibility_timeout=30)
    computers = [FIRST_COMPUTER_ID + n for n in range(FINDINGS)]
    daemon = start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **DAEMON)
    try:
        sandbox.faults(down=True)
        went_down = time.monotonic()
        for n in range(FINDINGS):
            queue.send(envelope(instance_id(n)))
        wait_for(lambda: daemon.metric("wsbridge_ws_circuit_open") == 1, 30, what="the circuit to open")
        opened_after = time.monotonic() - went_down
        received_when_open = daemon.metric("wsbridge_messages_received_total")
        samples = []
        while time.monotonic() - went_down < OUTAGE_SECONDS:
            samples.append(daemon.metric("wsbridge_messages_received_total"))
            assert queue.depth(queue.dlq_url) == 0
            time.sleep(0.5)
        received_in_outage = max(samples) - received_when_open
        sandbox.faults(down=False)
        restored = time.monotonic()
        wait_for(
            lambda: queue.depth() == 0 and not Actions.from_calls(sandbox.calls()).missing(computers),
            scaled(120, 300),
            interval=1,
            what="every finding answered after the outage",
        )
        recovered_after = time.monotonic() - restored
        lines = daemon.message_lines()
        assert daemon.get("/healthz")[0] == 200
    finally:
        daemon.stop()
        sandbox.stop()

    counts = [line["receive_count"] for line in lines]
    report(
        f"WS down {OUTAGE_SECONDS:g} s: circuit open after {opened_after:.1f} s, {int(received_in_outage)} receives "
        f"while it was open, highest receive count {max(counts)} (DLQ at {MAX_RECEIVE_COUNT}), everything answered "
        f"{recovered_after:.1f} s after the API came back"
    )
    assert queue.depth(queue.dlq_url) == 0
    assert max(counts) <= 2, "a message was received again while the API was down"
    assert sum(1 for line in lines if line["outcome"] == "success") == FINDINGS
