"""Replicas and restarts do the work of one: the shared state table, and what Workload Security records."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import harness
import pytest
from harness import (
    FIRST_COMPUTER_ID,
    Actions,
    EventBus,
    Sandbox,
    guardduty_detail,
    instance_id,
    scaled,
    start_daemon,
)
from support.daemon import Daemon, QueueUnderTest, wait_for
from support.state_table import state_table

INSTANCES = int(scaled(6, 20))
FINDINGS_PER_INSTANCE = int(scaled(6, 10))
DAEMON: dict[str, Any] = {
    "visibility_timeout_seconds": 10,
    "handler_timeout_seconds": 30,
    "retry_base_seconds": 1,
    "retry_max_seconds": 4,
    "ws_scan_wait_seconds": 20,
    "ws_scan_poll_seconds": 0.2,
    "ws_retry_base_seconds": 0.1,
    "ws_retry_max_seconds": 1,
    "ws_breaker_reset_seconds": 2,
    "ws_rate_limit_per_minute": 100_000,
    "concurrency": 8,
}
FAULTS = {"error_rate": 0.03, "error_status": 500, "random_seed": 11, "latency_ms": 30, "scan_delay_ms": 1500}
DELETED = {"success", "skipped", "duplicate"}


@pytest.fixture
def table() -> Iterator[str]:
    with state_table() as name:
        yield name


@dataclass
class World:
    sandbox: Sandbox
    queue: QueueUnderTest
    bus: EventBus


@pytest.fixture
def world(
    queue_factory: Callable[..., QueueUnderTest], bus_factory: Callable[[QueueUnderTest], EventBus]
) -> Iterator[World]:
    """A faulty WS sandbox with ``INSTANCES`` protected computers, a queue and a bus feeding it."""
    sandbox = Sandbox(INSTANCES)
    sandbox.faults(**FAULTS)
    queue = queue_factory(max_receive_count=10, visibility_timeout=10)
    try:
        yield World(sandbox, queue, bus_factory(queue))
    finally:
        sandbox.stop()


def computers(count: int) -> list[int]:
    return [FIRST_COMPUTER_ID + n for n in range(count)]


def burst(count: int, per_instance: int) -> list[dict[str, Any]]:
    """``per_instance`` new findings about each of ``count`` instances, interleaved."""
    return [guardduty_detail(instance_id(n)) for _ in range(per_instance) for n in range(count)]


def scanned(sandbox: Sandbox) -> Actions:
    return Actions.from_calls(sandbox.calls())


def answered(sandbox: Sandbox, queue: QueueUnderTest, targets: list[int]) -> bool:
    return queue.depth() == 0 and not scanned(sandbox).missing(targets)


def deletions(daemons: list[Daemon]) -> Counter[str]:
    """Message id -> how many times a daemon settled it by deleting it (the line follows the delete)."""
    return Counter(
        line["message_id"] for daemon in daemons for line in daemon.message_lines() if line["outcome"] in DELETED
    )


@pytest.mark.timeout(int(scaled(600, 1200)))
def test_two_replicas_on_one_table_scan_each_instance_once_through_kills(
    tmp_path: Path,
    table: str,
    world: World,
    report: Callable[[str], None],
) -> None:
    sandbox, queue, bus = world.sandbox, world.queue, world.bus
    targets = computers(INSTANCES)
    daemons: list[Daemon] = []
    in_flight: list[int] = []
    with harness.stopping(daemons):
        settings = {**DAEMON, "state_table": table}
        daemons += [start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **settings) for _ in range(2)]
        bus.put(burst(INSTANCES, FINDINGS_PER_INSTANCE))
        for victim, share in ((0, 1 / 3), (1, 2 / 3)):
            wait_for(
                lambda s=share: len(scanned(sandbox).recommendation) >= INSTANCES * s,  # type: ignore[misc]
                scaled(300, 600),
                what=f"{share:.0%} of the instances scanned",
            )
            in_flight.append(int(daemons[victim].metric("wsbridge_messages_in_flight")))
            harness.kill(daemons[victim])
            daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **settings))
        wait_for(lambda: answered(sandbox, queue, targets), scaled(300, 600), interval=1, what="every finding")
        actions = scanned(sandbox)
        dead = queue.depth(queue.dlq_url)
        settled = deletions(daemons)
    report(
        f"2 replicas on one table, 2 SIGKILLs (in flight: {in_flight}), "
        f"{INSTANCES * FINDINGS_PER_INSTANCE} findings over {INSTANCES} "
        f"instances: recommendation scans per instance {sorted(Counter(actions.recommendation.values()).items())}, "
        f"integrity scans per instance {sorted(Counter(actions.integrity.values()).items())}"
    )
    assert any(in_flight), "no kill caught work in flight"
    assert actions.missing(targets) == []
    assert actions.recommendation == dict.fromkeys(targets, 1)
    assert actions.integrity == dict.fromkeys(targets, 1)
    assert dead == 0
    assert max(settled.values()) == 1, [message for message, count in settled.items() if count > 1]


@pytest.mark.timeout(int(scaled(400, 900)))
def test_a_restarted_daemon_with_the_default_store_repeats_no_finished_scan(
    tmp_path: Path,
    world: World,
    report: Callable[[str], None],
) -> None:
    sandbox, queue, bus = world.sandbox, world.queue, world.bus
    targets = computers(INSTANCES)
    daemons: list[Daemon] = []
    with harness.stopping(daemons):
        daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **DAEMON))
        bus.put(burst(INSTANCES, 2))
        wait_for(lambda: answered(sandbox, queue, targets), scaled(300, 600), interval=1, what="the first burst")
        harness.kill(daemons[0])
        daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **DAEMON))
        again = burst(INSTANCES, 2)
        bus.put(again)
        ids = {detail["id"] for detail in again}

        def second_burst_done() -> bool:
            lines = [line for line in daemons[-1].message_lines() if line["outcome"] in DELETED]
            return queue.depth() == 0 and len(lines) >= len(ids)

        wait_for(second_burst_done, scaled(300, 600), interval=1, what="the second burst")
        actions = scanned(sandbox)
        results = Counter(
            action["result"]
            for line in daemons[-1].message_lines()
            for action in line.get("actions") or []
            if action["action"] == "recommendation_scan"
        )
    report(
        f"restart with the default store, then {len(ids)} new findings about the same {INSTANCES} instances: "
        f"recommendation scans per instance {sorted(Counter(actions.recommendation.values()).items())}, "
        f"after the restart {dict(results)}"
    )
    assert actions.recommendation == dict.fromkeys(targets, 1)
    assert actions.integrity == dict.fromkeys(targets, 1)
    assert results["coalesced"] == len(ids)


@pytest.mark.timeout(300)
def test_a_claim_left_by_a_dead_replica_is_taken_over_when_it_lapses(
    tmp_path: Path, table: str, queue_factory: Callable[..., QueueUnderTest]
) -> None:
    sandbox = Sandbox(1)
    queue = queue_factory(max_receive_count=10, visibility_timeout=10)
    event = {
        "version": "0",
        "id": "dead-replica-event",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2026-01-01T00:00:00Z",
        "resources": [],
        "detail": guardduty_detail(instance_id(0)),
    }
    lapses = time.time() + 8
    dynamodb = boto3.client("dynamodb")
    for key in ("event:dead-replica-event", f"action:recommendation_scan:{FIRST_COMPUTER_ID}"):
        dynamodb.put_item(
            TableName=table,
            Item={
                "pk": {"S": key},
                "state": {"S": "in_progress"},
                "expires_at_ms": {"N": str(int(lapses * 1000))},
                "expires_at": {"N": str(int(lapses) + 1)},
                "owner": {"S": "a-replica-that-died"},
            },
        )
    daemons: list[Daemon] = []
    try:
        with harness.stopping(daemons):
            settings = {**DAEMON, "state_table": table, "handler_timeout_seconds": 25, "ws_scan_wait_seconds": 10}
            daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **settings))
            queue.send(json.dumps(event))
            wait_for(lambda: queue.depth() == 0, 120, interval=1, what="the finding to be answered")
            outcomes = [line["outcome"] for line in daemons[0].message_lines()]
            actions = scanned(sandbox)
    finally:
        sandbox.stop()
    assert outcomes[0] == "retry"
    assert outcomes[-1] == "success"
    assert actions.recommendation == {FIRST_COMPUTER_ID: 1}
