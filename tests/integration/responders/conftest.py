"""The responders end to end: a daemon subprocess on a fresh queue, the stack's WS sandbox, an SNS topic."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from responders import Notifications, SandboxLog
from support.daemon import Daemon, QueueUnderTest, make_queue, start_daemon

FAST_WS = {
    "ws_scan_wait_seconds": 10,
    "ws_scan_poll_seconds": 0.1,
    "ws_retry_base_seconds": 0.1,
    "ws_rate_limit_per_minute": 100_000,
}


@pytest.fixture
def sandbox() -> SandboxLog:
    """The stack's sandbox, back at its seed (the demo instances linked) with an empty call log."""
    url = os.environ.get("WSBRIDGE_SANDBOX_URL")
    if not url:
        raise RuntimeError("WSBRIDGE_SANDBOX_URL is not set: run under `python -m devstack test` or `. .stack/env`")
    log = SandboxLog(url)
    log.reset()
    return log


@pytest.fixture
def queue() -> Iterator[QueueUnderTest]:
    created = make_queue()
    yield created
    for url in (created.url, created.dlq_url):
        created.sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def notifications() -> Iterator[Notifications]:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    name = f"wsbridge-notices-{uuid.uuid4().hex[:10]}"
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    yield Notifications(topic_arn, queue_url, sqs)
    sns.delete_topic(TopicArn=topic_arn)
    sqs.delete_queue(QueueUrl=queue_url)


@pytest.fixture
def responder(tmp_path: Path, queue: QueueUnderTest, notifications: Notifications) -> Iterator[Callable[..., Daemon]]:
    """Start ``wsbridge run`` on the test's queue, with short WS scan waits and the SNS topic for notices."""
    started: list[Daemon] = []
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()

    def start(handler_config: str = "", **settings: Any) -> Daemon:
        config = tmp_path / "handlers.toml"
        config.write_text(handler_config)
        daemon = start_daemon(
            queue,
            tmp_path,
            probe_dir,
            handler_config=config,
            notify_sns_topic_arn=notifications.topic_arn,
            **{**FAST_WS, **settings},
        )
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
