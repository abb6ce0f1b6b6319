"""``wsbridge dlq``: poison dead-lettered by a real daemon, listed, shown and redriven against LocalStack."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

from support.bodies import QUEUE_MAX_BYTES
from support.daemon import WSBRIDGE, Daemon, QueueUnderTest, probe_event, wait_for

DaemonFactory = Callable[..., Daemon]
QueueFactory = Callable[..., QueueUnderTest]


def wsbridge(queue: QueueUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an operator runs it: only the findings queue is named, the DLQ comes from its RedrivePolicy."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_")}
    env["WSBRIDGE_QUEUE_URL"] = queue.url
    return subprocess.run([WSBRIDGE, *args], capture_output=True, text=True, env=env, timeout=120)


def exhaust_receives(queue: QueueUnderTest) -> None:
    """Receive the queue's one message until SQS moves it to the DLQ, as when its consumer keeps crashing."""

    def receive_once() -> bool:
        queue.sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=0, WaitTimeSeconds=1)
        return queue.depth(queue.dlq_url) == 1

    wait_for(receive_once, 60, interval=0, what="SQS to move the message after maxReceiveCount receives")


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_poison_is_listed_with_its_reason_shown_and_redriven_back_to_the_queue(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(max_receive_count=2)
    failing = probe_event(run_id, fail_times=100)
    failing_id = queue.send(json.dumps(failing))
    exhaust_receives(queue)
    daemon = daemon_factory(queue, retry_base_seconds=1)
    refused = probe_event(run_id)
    refused["source"] = "evil.corp"
    oversized = probe_event(run_id, reject=True)
    oversized["detail"]["padding"] = "x" * (QUEUE_MAX_BYTES - len(json.dumps(oversized)) - 20)
    bodies = {
        "not json": "hello, this is not json",
        "refused": json.dumps(refused),
        "oversized": json.dumps(oversized),
    }
    sent = {name: queue.send(body) for name, body in bodies.items()}
    bodies["failing"], sent["failing"] = json.dumps(failing), failing_id
    wait_for(lambda: queue.depth(queue.dlq_url) == len(bodies), 120, what="every poison message in the DLQ")
    daemon.stop()

    listed = json_lines(wsbridge(queue, "dlq", "list"))
    by_event = {line["event_id"]: line for line in listed}
    assert len(listed) == len(bodies)
    assert by_event[refused["id"]]["source_message_id"] == sent["refused"]
    assert by_event[failing["id"]]["message_id"] == sent["failing"], "SQS moves it as it is"
    assert "not JSON" in next(line["reason"] for line in listed if line["event_id"] is None)
    assert "refused" in by_event[refused["id"]]["reason"]
    assert by_event[refused["id"]]["source"] == "evil.corp"
    assert by_event[failing["id"]]["reason"].startswith("receive limit")
    assert by_event[failing["id"]]["detail_type"] == "wsbridge Probe"
    assert by_event[oversized["id"]]["reason"].startswith("unknown: dead-lettered at the size limit")
    assert all(line["sent_at"] and line["receive_count"] >= 0 for line in listed)
    assert queue.depth(queue.dlq_url) == len(bodies), "listing consumed nothing"

    assert len(json_lines(wsbridge(queue, "dlq", "list", "--limit", "2"))) == 2
    [shown] = json_lines(wsbridge(queue, "dlq", "show", by_event[refused["id"]]["message_id"]))
    assert shown["body"]["source"] == "evil.corp"
    assert shown["explain"]["decision"] == "reject"

    dry = wsbridge(queue, "dlq", "redrive", "--all", "--dry-run")
    assert json.loads(dry.stdout) == {"moved": 0, "dry_run": True, "would_move": len(bodies)}
    one = wsbridge(queue, "dlq", "redrive", by_event[failing["id"]]["message_id"], "no-such-message")
    assert one.returncode == 1
    assert json.loads(one.stdout)["moved"] == 1
    rest = wsbridge(queue, "dlq", "redrive", "--all")
    assert rest.returncode == 0, rest.stderr
    assert json.loads(rest.stdout)["moved"] == len(bodies) - 1
    wait_for(lambda: queue.depth(queue.dlq_url) == 0, 60, what="an empty DLQ")
    assert queue.depth() == len(bodies)
    assert json_lines(wsbridge(queue, "dlq", "list")) == []
