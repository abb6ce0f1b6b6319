"""The Config rule answers end to end: a daemon on a fresh queue, the WS sandbox, a capturing Config endpoint."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from config_support import Captured, capturing_config_endpoint
from integration.responders.responders import SandboxLog
from support.daemon import Daemon, QueueUnderTest, make_queue, start_daemon


@pytest.fixture
def sandbox() -> SandboxLog:
    """The stack's sandbox, back at its seed (the demo instances linked) with an empty call log."""
    log = SandboxLog(os.environ["WSBRIDGE_SANDBOX_URL"])
    log.reset()
    return log


@pytest.fixture
def queue() -> Iterator[QueueUnderTest]:
    created = make_queue()
    yield created
    for url in (created.url, created.dlq_url):
        created.sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def config_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    with capturing_config_endpoint() as captured:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", captured.url)
        yield captured


@pytest.fixture
def answering(tmp_path: Path, queue: QueueUnderTest, sandbox: SandboxLog) -> Iterator[Callable[..., Daemon]]:
    """Start ``wsbridge run`` on the test's queue with a ``[handlers.config_rules]`` table."""
    started: list[Daemon] = []
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()

    def start(policy: str = "", **settings: Any) -> Daemon:
        config = tmp_path / "handlers.toml"
        config.write_text(f"[handlers.config_rules]\n{policy}\n")
        daemon = start_daemon(queue, tmp_path, probe_dir, handler_config=config, **settings)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
