"""LocalStack out of reach (through a proxy the test cuts): the daemon logs, backs off, turns /healthz red,
then recovers on its own once the network is back."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import TcpProxy, scaled, start_daemon
from support.daemon import QueueUnderTest, probe_event, wait_for

OUTAGE_SECONDS = scaled(15, 30)
MESSAGES = int(scaled(20, 100))


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    endpoint = urllib.parse.urlsplit(os.environ["AWS_ENDPOINT_URL"])
    started = TcpProxy(endpoint.hostname or "127.0.0.1", endpoint.port or 80)
    yield started
    started.close()


@pytest.mark.timeout(int(scaled(180, 300)))
def test_an_unreachable_sqs_turns_healthz_red_and_the_daemon_recovers_without_a_restart(
    tmp_path: Path, queue_factory: Callable[..., QueueUnderTest], proxy: TcpProxy, report: Callable[[str], None]
) -> None:
    queue = queue_factory()
    daemon = start_daemon(
        queue,
        tmp_path,
        ws_url="http://127.0.0.1:9/api",
        aws_endpoint=proxy.url,
        handlers="probe",
        health_max_poll_age_seconds=5,
        visibility_timeout_seconds=15,
    )
    try:
        before = probe_event("before")
        queue.send(json.dumps(before))
        wait_for(lambda: daemon.probe_records(before["id"]) == ["start", "done"], 20, what="a message before the cut")

        proxy.cut()
        cut = time.monotonic()
        during = [probe_event("during") for _ in range(MESSAGES)]
        for event in during:
            queue.send(json.dumps(event))
        wait_for(lambda: daemon.get("/healthz")[0] == 503, 60, what="/healthz to turn red")
        red_after = time.monotonic() - cut
        wait_for(lambda: time.monotonic() - cut >= OUTAGE_SECONDS, OUTAGE_SECONDS + 1, what="the end of the outage")
        failures = [line for line in daemon.log_lines() if line.get("event") == "receive failed"]

        proxy.restore()
        restored = time.monotonic()
        wait_for(lambda: daemon.get("/healthz")[0] == 200, 90, what="/healthz to turn green")
        green_after = time.monotonic() - restored
        wait_for(
            lambda: all(daemon.probe_records(event["id"]) == ["start", "done"] for event in during),
            60,
            what="every message sent during the outage to be processed",
        )
        all_done_after = time.monotonic() - restored
        wait_for(lambda: queue.depth() == 0, 30, what="the queue to be empty")
        assert daemon.process.poll() is None, "the daemon was restarted or died"
    finally:
        daemon.stop()

    loops = sorted({line["loop"] for line in failures})
    pauses = {loop: [line["retry_in_seconds"] for line in failures if line["loop"] == loop] for loop in loops}
    late = sum(1 for line in daemon.message_lines() if line["receive_count"] > 1)
    report(
        f"SQS unreachable {OUTAGE_SECONDS:g} s: /healthz red after {red_after:.1f} s, {len(failures)} receive failures "
        f"logged (back-off per loop {pauses}), green again {green_after:.1f} s after the network came back, all "
        f"{MESSAGES} messages processed after {all_done_after:.1f} s ({late} of them were in a receive answer lost "
        f"in the cut and came back after their visibility timeout)"
    )
    assert failures and all(p == sorted(p) for p in pauses.values()), "receive failures back off more and more"
    assert queue.depth(queue.dlq_url) == 0
