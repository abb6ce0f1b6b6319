"""Start the consumers under test as processes of their own: wsbridge and the two baselines."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, SANDBOX_KEY, Queue

PYTHON = sys.executable
WSBRIDGE = shlex.split(os.environ.get("WSBRIDGE_BENCH_DAEMON", "")) or [str(Path(PYTHON).with_name("wsbridge")), "run"]
"""The daemon command (``WSBRIDGE_BENCH_DAEMON`` replaces it, e.g. to compare with another checkout)."""
LOGS = Path(os.environ.get("WSBRIDGE_BENCH_LOGS", "/tmp/wsbridge-bench-logs"))

WSBRIDGE_BASE = {
    "WSBRIDGE_LOG_FORMAT": "json",
    "WSBRIDGE_LOG_LEVEL": "info",
    "WSBRIDGE_WS_RATE_LIMIT_PER_MINUTE": "10000000",
    "WSBRIDGE_METRICS_HOST": "127.0.0.1",
}
"""wsbridge as deployed, except for the client-side WS rate limit (the sandbox's is off too)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    metrics_port: int | None = None

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=5) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), ""
        except OSError:
            return 0, ""

    def metric(self, name: str) -> float:
        """Sum of every sample of ``name`` on /metrics (wsbridge only)."""
        status, text = self.get("/metrics")
        if status != 200:
            return float("nan")
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM, wait for the exit; returns the seconds it took."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.monotonic() - started


@contextlib.contextmanager
def stopping(consumers: list[Running]) -> Iterator[list[Running]]:
    """Stop every consumer (SIGTERM, then wait for the exit) when the block ends."""
    try:
        yield consumers
    finally:
        for consumer in consumers:
            consumer.stop()


def _environment(extra: Mapping[str, str], *, bench_importable: bool = False) -> dict[str, str]:
    """The harness's environment without ``WSBRIDGE_*``; only the baselines import ``bench`` from this
    checkout: the daemon gets no ``PYTHONPATH``, so ``WSBRIDGE_BENCH_DAEMON`` runs another checkout's code."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_") and key != "PYTHONPATH"}
    if bench_importable:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _spawn(name: str, command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}-{int(time.time() * 1000)}.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(command, env=env, stdout=stream, stderr=subprocess.STDOUT, cwd=ROOT)
    return process, log


def start_wsbridge(queue: Queue, ws_url: str, **settings: Any) -> Running:
    """``wsbridge run`` on ``queue``; ``settings`` are ``WSBRIDGE_*`` names in lower case without the prefix."""
    port = free_port()
    env = _environment(
        {
            **WSBRIDGE_BASE,
            "WSBRIDGE_QUEUE_URL": queue.url,
            "WSBRIDGE_DLQ_URL": queue.dlq_url,
            "WSBRIDGE_WS_URL": ws_url,
            "WSBRIDGE_WS_API_KEY": SANDBOX_KEY,
            "WSBRIDGE_METRICS_PORT": str(port),
            "WSBRIDGE_PROBE_DIR": str(LOGS / "probe"),
            **{f"WSBRIDGE_{key.upper()}": str(value) for key, value in settings.items()},
        }
    )
    process, log = _spawn("wsbridge", WSBRIDGE, env)
    return Running("wsbridge", process, log, port)


def start_module(module: str, *arguments: str) -> Running:
    """``python -m bench.<module> ARGUMENTS``."""
    process, log = _spawn(
        module, [PYTHON, "-m", f"bench.{module}", *arguments], _environment({}, bench_importable=True)
    )
    return Running(module, process, log)


def start_baseline(module: str, queue: Queue, ws_url: str, *arguments: str) -> Running:
    """A baseline consumer on ``queue``, responding through the WS API at ``ws_url``."""
    return start_module(module, "--queue-url", queue.url, "--ws-url", ws_url, "--api-key", SANDBOX_KEY, *arguments)


def wait_ready(running: Running, timeout: float = 30) -> None:
    """Until wsbridge answers /healthz, or a baseline printed ``ready``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"{running.name} exited: {running.log.read_text()[-2000:]}")
        if running.metrics_port is not None:
            if running.get("/healthz")[0] == 200:
                return
        elif b"ready" in running.log.read_bytes():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{running.name} was not ready within {timeout:g} s")
