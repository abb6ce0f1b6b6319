"""Findings through EventBridge while the WS API misbehaves and the daemon is SIGKILLed three times."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import (
    FIRST_COMPUTER_ID,
    Actions,
    EventBus,
    Sandbox,
    computer_of,
    guardduty_detail,
    instance_id,
    kill,
    scaled,
    start_daemon,
    stopping,
)
from support.daemon import Daemon, QueueUnderTest, wait_for

from wsbridge.consumer.sqs import SOURCE_ATTRIBUTE

FINDINGS = int(scaled(200, 2000))
POISON_FINDINGS = int(scaled(4, 16))
MALFORMED_BODIES = ["not json at all", json.dumps({"detail-type": "GuardDuty Finding"})]
KILLS = 3
DAEMON: dict[str, Any] = {
    "visibility_timeout_seconds": 15,
    "handler_timeout_seconds": 120,
    "retry_base_seconds": 1,
    "retry_max_seconds": 4,
    "ws_scan_wait_seconds": 30,
    "ws_scan_poll_seconds": 0.2,
    "ws_retry_base_seconds": 0.1,
    "ws_retry_max_seconds": 1,
    "ws_breaker_reset_seconds": 2,
    "ws_rate_limit_per_minute": 100_000,
}
BASE_FAULTS = {"error_rate": 0.2, "error_status": 500, "random_seed": 7}


THROTTLED_CALLS = 10
SLOWED_CALLS = 10
SLOW_MS = 3000


def settled(sandbox: Sandbox, knob: str) -> bool:
    """Every call the counted ``knob`` was set for has arrived at the sandbox."""
    return int(sandbox.admin("GET", "faults")[knob]) == 0


def throttle_then_kill_mid_spike(sandbox: Sandbox, daemon: Daemon) -> float:
    """A 429 burst, answered in full; then a latency spike, and SIGKILL while its calls are still held.

    Returns the messages in flight just before the kill.
    """
    sandbox.faults(throttle_next=THROTTLED_CALLS)
    wait_for(lambda: settled(sandbox, "throttle_next"), scaled(120, 300), what="the 429 burst to be answered")
    sandbox.faults(slow_next=SLOWED_CALLS)
    wait_for(lambda: settled(sandbox, "slow_next"), scaled(120, 300), what="the latency spike to reach the sandbox")
    in_flight = daemon.metric("wsbridge_messages_in_flight")
    kill(daemon)
    return in_flight


def met(calls: list[dict[str, Any]], fault: str) -> int:
    """Calls the sandbox recorded with ``fault`` among the faults it injected."""
    return sum(1 for call in calls if fault in call["faults"])


def instances(daemon: Daemon, outcome: str) -> set[str]:
    """Instances of the findings this daemon ended with ``outcome`` (the line is written after the settle)."""
    return {
        instance
        for line in daemon.message_lines()
        if line.get("outcome") == outcome
        for instance in (line.get("targets") or {}).get("instance_ids") or []
    }


def successes(daemon: Daemon) -> set[str]:
    return instances(daemon, "success")


def started_before(calls: list[dict[str, Any]], seq: int, by_instance: dict[str, int]) -> set[int]:
    return {c for call in calls if call["seq"] <= seq and (c := computer_of(call, by_instance)) is not None}


@pytest.mark.timeout(int(scaled(600, 1800)))
def test_every_finding_is_answered_despite_ws_faults_and_three_sigkills(
    tmp_path: Path,
    queue_factory: Callable[..., QueueUnderTest],
    bus_factory: Callable[[QueueUnderTest], EventBus],
    report: Callable[[str], None],
) -> None:
    sandbox = Sandbox(FINDINGS)
    sandbox.faults(**BASE_FAULTS, slow_ms=SLOW_MS, retry_after_seconds=1)
    queue = queue_factory(max_receive_count=8, visibility_timeout=15)
    bus = bus_factory(queue)
    by_instance = {instance_id(n): FIRST_COMPUTER_ID + n for n in range(FINDINGS)}
    computers = sorted(by_instance.values())
    daemons: list[Daemon] = []
    kills: list[dict[str, Any]] = []
    try:
        with stopping(daemons):
            daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **DAEMON))
            details = [guardduty_detail(instance_id(n)) for n in range(FINDINGS)]
            poison = [guardduty_detail(None) for _ in range(POISON_FINDINGS)]
            bus.put(details + poison)
            for body in MALFORMED_BODIES:
                queue.send(body)
            finished: set[str] = set()
            for number in range(1, KILLS + 1):
                target = FINDINGS * number // (KILLS + 1)
                answered = finished.copy()
                wait_for(
                    lambda t=target, before=answered: len(before | successes(daemons[-1])) >= t,  # type: ignore[misc]
                    scaled(300, 600),
                    what=f"{target} findings answered before kill {number}",
                )
                in_flight = throttle_then_kill_mid_spike(sandbox, daemons[-1])
                finished |= successes(daemons[-1])
                kills.append({"seq": sandbox.last_seq(), "in_flight": in_flight, "finished": set(finished)})
                daemons.append(start_daemon(queue, tmp_path, ws_url=sandbox.api_url, **DAEMON))

            def done() -> bool:
                return queue.depth() == 0 and not Actions.from_calls(sandbox.calls()).missing(computers)

            wait_for(done, scaled(300, 900), interval=1, what="every finding answered and the queue empty")
            sandbox.faults(error_rate=0)
            calls = sandbox.calls()
            dead = drain(queue, queue.dlq_url)
            dead_letter_lines = [
                line for daemon in daemons for line in daemon.message_lines() if line["outcome"] == "dead_letter"
            ]
            retried = {by_instance[i] for daemon in daemons for i in instances(daemon, "retry") if i in by_instance}
    finally:
        sandbox.stop()

    actions = Actions.from_calls(calls)
    assert actions.missing(computers) == []
    in_flight_at_kills: set[int] = set()
    for record in kills:
        started = started_before(calls, record["seq"], by_instance)
        in_flight_at_kills |= started - {by_instance[i] for i in record["finished"] if i in by_instance}
    repeated = actions.repeated()
    at_kills = repeated & in_flight_at_kills
    report(
        f"{FINDINGS} findings, {KILLS} SIGKILLs (in flight per the metric just before each: "
        f"{[int(k['in_flight']) for k in kills]}, each in a latency spike), {met(calls, 'latency')} calls held "
        f"{SLOW_MS / 1000:g} s in spikes, {met(calls, 'throttle')} calls answered 429 in bursts, "
        f"{met(calls, 'error')} injected 500s: {len(repeated)} findings had a scan twice, "
        f"{len(at_kills)} of them among the {len(in_flight_at_kills)} started but not finished at a kill, "
        f"{len(repeated - at_kills)} retried after WS failures outlasted the client's retries mid-action "
        f"({len(retried)} findings were retried at all)"
    )
    assert repeated <= in_flight_at_kills | retried, sorted(repeated - in_flight_at_kills - retried)
    assert (met(calls, "latency"), met(calls, "throttle")) == (KILLS * SLOWED_CALLS, KILLS * THROTTLED_CALLS)
    assert any(k["in_flight"] > 0 for k in kills), "no kill caught work in flight"
    assert sorted({m["Body"] for m in dead if m["Body"] in MALFORMED_BODIES}) == sorted(MALFORMED_BODIES)
    dead_findings = [json.loads(m["Body"])["detail"]["id"] for m in dead if m["Body"] not in MALFORMED_BODIES]
    assert sorted(set(dead_findings)) == sorted(detail["id"] for detail in poison)
    copies = Counter(m["MessageAttributes"][SOURCE_ATTRIBUTE]["StringValue"] for m in dead)
    received_again = {line["message_id"] for line in dead_letter_lines if line["receive_count"] > 1}
    duplicated = {source for source, count in copies.items() if count > 1}
    report(
        f"DLQ: {len(dead)} messages, all of them the {len(copies)} injected poison messages; "
        f"{len(duplicated)} copied twice because a kill came between the copy and the delete"
    )
    assert duplicated <= received_again
    assert queue.depth() == 0


def drain(queue: QueueUnderTest, url: str) -> list[dict[str, Any]]:
    """Every message of ``url`` (until two receives in a row come back empty)."""
    messages: dict[str, dict[str, Any]] = {}
    empty = 0
    while empty < 2:
        response = queue.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        batch = response.get("Messages", [])
        empty = 0 if batch else empty + 1
        for message in batch:
            messages[message["MessageId"]] = message
            queue.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return list(messages.values())
