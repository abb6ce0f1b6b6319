"""Delivery guarantees of the daemon against a real LocalStack queue."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from support.bodies import QUEUE_MAX_BYTES, malformed_bodies
from support.daemon import Daemon, QueueUnderTest, probe_event, wait_for

SLOW_SECONDS = 60
DaemonFactory = Callable[..., Daemon]
QueueFactory = Callable[..., QueueUnderTest]


def test_eventbridge_event_reaches_its_handler_once_and_is_deleted(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    events = boto3.client("events")
    rule = f"wsbridge-test-{run_id[:10]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["wsbridge.test"], "detail": {"run": [run_id]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue.arn}])
    try:
        daemon = daemon_factory(queue)
        event = probe_event(run_id)
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
        }
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        line = wait_for(lambda: daemon.message_lines(), 60, what="the canonical log line")[0]
        assert line["handler"] == "probe"
        assert line["outcome"] == "success"
        wait_for(lambda: queue.depth() == 0, 60, what="the message to be deleted")
        assert daemon.probe_records(line["event_id"]) == ["start", "done"]
        assert daemon.metric("wsbridge_messages_processed_total", handler="probe", outcome="success") == 1
        assert daemon.metric("wsbridge_actions_total", action="probe_done", result="done") == 1
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)


def test_transient_failures_retry_with_growing_delay_then_succeed_once(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, retry_base_seconds=1)
    event = probe_event(run_id, fail_times=2)
    queue.send(json.dumps(event))
    lines = wait_for(lambda: _lines(daemon, 3), 90, what="the third attempt")
    assert daemon.probe_records(event["id"]) == ["start", "start", "start", "done"]
    assert [line["outcome"] for line in lines] == ["retry", "retry", "success"]
    assert [line["retry_in_seconds"] for line in lines[:2]] == [1, 2]
    assert [line["receive_count"] for line in lines] == [1, 2, 3]
    wait_for(lambda: queue.depth() == 0, 60, what="the message to be deleted")
    assert queue.depth(queue.dlq_url) == 0


def test_a_message_that_always_fails_transiently_is_dead_lettered_with_its_reason_on_the_last_receive(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(max_receive_count=3)
    daemon = daemon_factory(queue, retry_base_seconds=1)
    event = probe_event(run_id, fail_times=100)
    queue.send(json.dumps(event))
    [dead] = queue.drain_dlq(1, timeout=120)
    assert json.loads(dead["Body"])["id"] == event["id"]
    assert daemon.probe_records(event["id"]) == ["start"] * 3
    wait_for(
        lambda: daemon.metric("wsbridge_messages_processed_total", outcome="dead_letter") == 1,
        30,
        what="the dead-letter outcome to be counted (after the copy to the DLQ)",
    )
    assert daemon.metric("wsbridge_messages_processed_total", outcome="retry") == 2
    reason = dead["MessageAttributes"]["wsbridge-reason"]["StringValue"]
    assert "probe failing on purpose (attempt 3)" in reason and "receive 3 of 3, no retry left" in reason


def test_malformed_bodies_go_to_the_dlq_after_one_receive_and_the_daemon_stays_healthy(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, unknown_detail_type="dead-letter")
    bodies = malformed_bodies()
    sent = {queue.send(body): name for name, (body, _) in bodies.items()}
    dead = queue.drain_dlq(len(bodies), timeout=120)

    def logged() -> dict[str, str]:
        found = {line["message_id"]: line["reason"] for line in daemon.message_lines()}
        return found if set(sent) <= set(found) else {}

    reasons = wait_for(logged, 30, what="every message's log line (written after its dead-letter copy)")
    by_body = {message["Body"]: message for message in dead}
    assert len(by_body) == len(bodies)
    for message_id, name in sent.items():
        body, expected_reason = bodies[name]
        message = by_body[body]
        assert expected_reason in reasons[message_id], name
        attributes = message.get("MessageAttributes")
        if len(body) >= QUEUE_MAX_BYTES:
            # no room left for attributes: the reason is only in the canonical log line
            assert attributes is None, name
            continue
        assert attributes["wsbridge-source-message-id"]["StringValue"] == message_id, name
        assert expected_reason in attributes["wsbridge-reason"]["StringValue"], name
    lines = daemon.message_lines()
    assert len(lines) == len(bodies)
    assert {line["receive_count"] for line in lines} == {1}
    assert daemon.get("/healthz")[0] == 200
    wait_for(lambda: queue.depth() == 0, 60, what="the originals to be deleted")
    follow_up = probe_event(run_id)
    queue.send(json.dumps(follow_up))
    wait_for(lambda: "done" in daemon.probe_records(follow_up["id"]), 60, what="a valid message after the poison")
    assert daemon.process.poll() is None


def test_heartbeat_keeps_a_long_handler_from_being_redelivered(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(visibility_timeout=8)
    daemon = daemon_factory(queue, visibility_timeout_seconds=8, handler_timeout_seconds=60, ws_scan_wait_seconds=30)
    event = probe_event(run_id, sleep_seconds=20)
    queue.send(json.dumps(event))
    wait_for(lambda: "done" in daemon.probe_records(event["id"]), 90, what="the long handler to finish")
    assert daemon.probe_records(event["id"]) == ["start", "done"]
    assert daemon.metric("wsbridge_visibility_extensions_total") >= 4
    wait_for(lambda: queue.depth() == 0, 60, what="the message to be deleted")


def test_a_handler_over_its_timeout_is_cancelled_and_retried(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, handler_timeout_seconds=1, ws_scan_wait_seconds=0.5, retry_base_seconds=1)
    event = probe_event(run_id, sleep_seconds=30, sleep_attempts=1)
    queue.send(json.dumps(event))
    lines = wait_for(lambda: _lines(daemon, 2), 60, what="the retry to succeed")
    assert [line["outcome"] for line in lines] == ["retry", "success"]
    assert "timed out" in lines[0]["reason"]


def test_sigterm_drains_finishes_or_releases_and_a_restart_processes_the_rest_once(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(visibility_timeout=60)
    settings = {"drain_seconds": 8, "stop_timeout_seconds": 20, "visibility_timeout_seconds": 60}
    daemon = daemon_factory(queue, **settings)
    quick = [probe_event(run_id, sleep_seconds=1) for _ in range(5)]
    slow = [probe_event(run_id, sleep_seconds=SLOW_SECONDS, sleep_attempts=1) for _ in range(5)]
    for event in quick + slow:
        queue.send(json.dumps(event))
    wait_for(lambda: all(daemon.probe_records(e["id"]) for e in quick + slow), 60, what="10 handlers in flight")
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=SLOW_SECONDS / 2) == 0
    assert time.monotonic() - started >= settings["drain_seconds"], "the drain gave in-flight work its time"
    assert all(daemon.probe_records(e["id"]) == ["start", "done"] for e in quick)
    assert all(daemon.probe_records(e["id"]) == ["start"] for e in slow)
    restarted = daemon_factory(queue, **settings)
    wait_for(lambda: all("done" in restarted.probe_records(e["id"]) for e in slow), 90, what="released messages")
    for event in quick + slow:
        assert restarted.probe_records(event["id"]).count("done") == 1
    wait_for(lambda: queue.depth() == 0, 60, what="an empty queue")


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
def test_the_daemon_handles_and_stops_cleanly_on_either_event_loop(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str, event_loop: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, event_loop=event_loop)
    event = probe_event(run_id)
    queue.send(json.dumps(event))
    wait_for(lambda: daemon.message_lines(), 60, what="the canonical log line")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0
    assert daemon.probe_records(event["id"]) == ["start", "done"]
    assert [line["outcome"] for line in daemon.message_lines()] == ["success"]
    assert [line["event_loop"] for line in daemon.log_lines() if line.get("event") == "started"] == [event_loop]
    assert queue.depth() == 0


def test_sigterm_with_the_log_reader_gone_exits_within_the_drain_and_releases_in_flight_messages(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(visibility_timeout=120)
    settings = {"drain_seconds": 5, "stop_timeout_seconds": 30, "visibility_timeout_seconds": 120}
    daemon = daemon_factory(queue, piped=True, **settings)
    daemon.close_output()
    quick = probe_event(run_id)
    queue.send(json.dumps(quick))
    wait_for(lambda: daemon.metric("wsbridge_messages_processed_total", outcome="success") == 1, 60, what="a success")
    assert daemon.metric("wsbridge_log_write_failures_total") >= 1, "its canonical log line was dropped, not fatal"
    slow = [probe_event(run_id, sleep_seconds=SLOW_SECONDS, sleep_attempts=1) for _ in range(3)]
    for event in slow:
        queue.send(json.dumps(event))
    wait_for(lambda: all(daemon.probe_records(e["id"]) for e in slow), 60, what="3 handlers in flight")

    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    daemon.wait(timeout=settings["drain_seconds"] + 20)

    assert time.monotonic() - started < settings["drain_seconds"] + 20
    assert all(daemon.probe_records(e["id"]) == ["start"] for e in slow)
    wait_for(lambda: _visible(queue) == len(slow), 30, what="the in-flight messages to be released")


def test_metric_labels_stay_bounded_whatever_detail_types_and_sources_arrive(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue)
    made_up = [f"Made Up {uuid.uuid4().hex[:8]}" for _ in range(5)]
    for detail_type in made_up:
        queue.send(json.dumps({**probe_event(run_id), "detail-type": detail_type}))
    queue.send(json.dumps({**probe_event(run_id), "source": f"forged.{uuid.uuid4().hex[:8]}"}))
    wait_for(lambda: len(daemon.message_lines()) == 6, 60, what="six canonical log lines")

    _, text = daemon.get("/metrics")
    series = [line for line in text.splitlines() if line.startswith("wsbridge_messages_processed_total{")]
    assert len(series) == 2, series
    assert daemon.metric("wsbridge_messages_processed_total", detail_type="unknown", outcome="skipped") == 5
    assert daemon.metric("wsbridge_messages_processed_total", detail_type="unknown", outcome="dead_letter") == 1
    assert daemon.metric("wsbridge_refused_sources_total", detail_type="wsbridge Probe") == 1
    assert not any(detail_type in text for detail_type in made_up)
    logged = sorted(line["detail_type"] for line in daemon.message_lines())
    assert logged == sorted([*made_up, "wsbridge Probe"]), "the canonical log line keeps the real detail-type"


def _visible(queue: QueueUnderTest) -> int:
    attributes = queue.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_sigkill_mid_flight_messages_return_after_visibility_timeout(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(visibility_timeout=6)
    daemon = daemon_factory(queue, visibility_timeout_seconds=6)
    events = [probe_event(run_id, sleep_seconds=60, sleep_attempts=1) for _ in range(3)]
    for event in events:
        queue.send(json.dumps(event))
    wait_for(lambda: all(daemon.probe_records(e["id"]) for e in events), 60, what="3 handlers in flight")
    daemon.signal(signal.SIGKILL)
    daemon.wait(timeout=5)
    restarted = daemon_factory(queue, visibility_timeout_seconds=6)
    wait_for(lambda: all("done" in restarted.probe_records(e["id"]) for e in events), 90, what="redelivery")
    for event in events:
        assert restarted.probe_records(event["id"]) == ["start", "start", "done"]
    wait_for(lambda: queue.depth() == 0, 60, what="an empty queue")


def _lines(daemon: Daemon, count: int) -> list[dict[str, Any]] | None:
    lines = daemon.message_lines()
    return lines if len(lines) >= count else None
