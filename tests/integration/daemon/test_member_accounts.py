"""The daemon reading AWS in a finding's account: through the member role, or, when the role cannot be
assumed, a retried and counted failure that ends in the dead-letter queue without harming the daemon."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import boto3
from support.daemon import Daemon, QueueUnderTest, probe_event, wait_for

from wsbridge.consumer.sqs import REASON_ATTRIBUTE

QueueFactory = Callable[..., QueueUnderTest]
DaemonFactory = Callable[..., Daemon]
MEMBER_ROLE = "wsbridge-member"


def fresh_account() -> str:
    return "8" + "".join(random.choices("0123456789", k=11))


def test_a_finding_in_another_account_is_read_with_the_member_role(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory()
    daemon = daemon_factory(queue, aws_role_name=MEMBER_ROLE, aws_external_id="ext-1234")
    own = boto3.client("sts").get_caller_identity()["Account"]
    member = fresh_account()
    theirs, ours = probe_event(run_id, aws_account=member), probe_event(run_id, aws_account=own)
    queue.send(json.dumps(theirs))
    queue.send(json.dumps(ours))
    wait_for(lambda: "done" in daemon.probe_records(theirs["id"]), 20, what="the member-account probe")
    wait_for(lambda: "done" in daemon.probe_records(ours["id"]), 20, what="the own-account probe")
    assert daemon.probe_records(theirs["id"]) == [
        "start",
        f"aws arn:aws:sts::{member}:assumed-role/{MEMBER_ROLE}/wsbridge",
        "done",
    ]
    assert daemon.probe_records(ours["id"])[1].startswith(f"aws arn:aws:sts::{own}:")
    assert daemon.metric("wsbridge_aws_assume_role_failures_total") == 0


def test_a_role_that_cannot_be_assumed_retries_counts_and_dead_letters_with_the_reason_on_the_last_receive(
    queue_factory: QueueFactory, daemon_factory: DaemonFactory, run_id: str
) -> None:
    queue = queue_factory(max_receive_count=3)
    daemon = daemon_factory(queue)
    member = fresh_account()
    event = probe_event(run_id, aws_account=member)
    queue.send(json.dumps(event))
    [dead] = queue.drain_dlq(1, timeout=40)
    assert json.loads(dead["Body"])["id"] == event["id"]

    def settled() -> list[dict[str, object]]:
        found = [line for line in daemon.message_lines() if line["event_id"] == event["id"]]
        return found if len(found) == 3 else []

    lines = wait_for(settled, 30, what="the third receive's log line (written after the dead-letter copy)")
    assert [line["outcome"] for line in lines] == ["retry", "retry", "dead_letter"]
    reason = dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
    assert "cannot assume role" in reason and f"account {member}" in reason and "receive 3 of 3" in reason
    assert all("cannot assume role" in line["reason"] and f"account {member}" in line["reason"] for line in lines)
    warnings = [line for line in daemon.log_lines() if line.get("event") == "cannot assume member role"]
    assert warnings and all(line["account"] == member for line in warnings)
    assert daemon.metric("wsbridge_aws_assume_role_failures_total", reason="not_configured") == 3
    assert daemon.get("/healthz")[0] == 200
    follow_up = probe_event(run_id)
    queue.send(json.dumps(follow_up))
    wait_for(lambda: "done" in daemon.probe_records(follow_up["id"]), 20, what="a message after the failures")
