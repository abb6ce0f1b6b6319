"""Plugins reach the message lifecycle: a handler's requested retry delay, and an installed middleware."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from support.daemon import Daemon, QueueUnderTest, probe_event, wait_for

QueueFactory = Callable[..., QueueUnderTest]
DaemonFactory = Callable[..., Daemon]


def _attempts(daemon: Daemon, event_id: str, count: int) -> list[dict[str, Any]] | None:
    lines = [line for line in daemon.message_lines() if line.get("event_id") == event_id]
    return lines if len(lines) >= count else None


def test_a_handler_that_asks_to_retry_later_gets_exactly_that_delay(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, retry_base_seconds=1)
    event = probe_event(run_id, fail_times=1, retry_after_seconds=3)
    queue.send(json.dumps(event))
    first, second = wait_for(lambda: _attempts(daemon, event["id"], 2), 90, what="the second attempt")
    assert (first["outcome"], first["retry_in_seconds"]) == ("retry", 3)
    assert first["reason"].startswith("RetryLater: probe retrying on purpose")
    assert second["outcome"] == "success"
    wait_for(lambda: queue.depth() == 0, 60, what="the message to be deleted")


def test_an_installed_middleware_sees_startup_every_settled_message_and_shutdown(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, probe_middleware=1)
    log = daemon.probe_dir / "middleware.log"

    def hooks() -> list[dict[str, Any]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    event = probe_event(run_id)
    queue.send(json.dumps(event))
    wait_for(lambda: any(entry.get("event_id") == event["id"] for entry in hooks()), 60, what="after_process")
    daemon.stop()
    seen = hooks()
    assert [entry["hook"] for entry in seen] == ["startup", "after_process", "shutdown"]
    assert (seen[1]["outcome"], seen[1]["retry_in_seconds"]) == ("success", None)
