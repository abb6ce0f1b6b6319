from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.daemon import Daemon, QueueUnderTest, start_daemon


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def probe_dir(tmp_path: Path) -> Path:
    path = tmp_path / "probe"
    path.mkdir()
    return path


@pytest.fixture
def daemon_factory(tmp_path: Path, probe_dir: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(queue: QueueUnderTest, *, piped: bool = False, **settings: Any) -> Daemon:
        daemon = start_daemon(queue, tmp_path, probe_dir, piped=piped, **settings)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
