"""The Config rule answers end to end: a daemon on a fresh queue, the WS sandbox, a capturing Config endpoint."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from config_support import Captured, capturing_config_endpoint
from integration.responders.responders import SandboxLog
from support.daemon import Daemon, QueueUnderTest, start_daemon


@pytest.fixture
def sandbox() -> SandboxLog:
    """The stack's sandbox at its seed, with an empty call log."""
    SandboxLog(os.environ["WSBRIDGE_SANDBOX_URL"]).reset()
    return SandboxLog(os.environ["WSBRIDGE_SANDBOX_URL"])


@pytest.fixture
def queue(queue_factory: Callable[..., QueueUnderTest]) -> QueueUnderTest:
    """A fresh queue and dead-letter queue for the test."""
    return queue_factory()


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
