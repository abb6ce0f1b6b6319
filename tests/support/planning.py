"""Planning against a real WS sandbox process: the seed, the sandbox and a HandlerContext around a WS client."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from support.daemon import free_port

from wsbridge.consumer.actions import Action
from wsbridge.consumer.handler import HandlerContext
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.workload_security import ClientOptions, WorkloadSecurityClient

ROOT = Path(__file__).parents[3]
DEFAULT_SEED = ROOT / "sandbox" / "wsbridge_sandbox" / "seed" / "default.json"
API_KEY = "sandbox-key"
KUBECTL_INSTANCE = "i-0c10c2c7863d1a356"
"""The instance of the Security Hub samples, added to the seed as computer 5 (policy Web Servers)."""


def seed() -> dict[str, Any]:
    """The default seed plus ``demo-kubectl-1``, a protected copy of demo-web-1 for the Security Hub samples."""
    document: dict[str, Any] = json.loads(DEFAULT_SEED.read_text())
    web = next(computer for computer in document["computers"] if computer["hostName"] == "demo-web-1")
    kubectl = copy.deepcopy(web)
    kubectl.update({"ID": 5, "hostName": "demo-kubectl-1", "displayName": "demo-kubectl-1"})
    kubectl["ec2VirtualMachineSummary"]["instanceID"] = KUBECTL_INSTANCE
    document["computers"].append(kubectl)
    return document


def admin(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def start_sandbox(seed_file: Path) -> Iterator[str]:
    """A ``wsbridge-sandbox`` subprocess on a free port, seeded with ``seed_file``; yields its base URL."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("wsbridge-sandbox")), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--seed", str(seed_file), "--rate-limit-per-minute", "0"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                admin(url, "GET", "health")
                break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the WS sandbox did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class RecordingNotifier:
    """A notifier that keeps what it was asked to send."""

    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def send(self, topic: str, subject: str, details: dict[str, Any]) -> None:
        self.sent.append((topic, subject, details))


def client(url: str) -> WorkloadSecurityClient:
    options = ClientOptions(
        retry_base_seconds=0.01,
        retry_max_seconds=0.05,
        scan_poll_seconds=0.02,
        scan_wait_seconds=2.0,
        rate_limit_per_minute=1_000_000,
    )
    return WorkloadSecurityClient(f"{url}/api", API_KEY, options)


def context(services: Services) -> HandlerContext:
    return HandlerContext(services, Settings(queue_url="http://queue.invalid"), structlog.get_logger("test"))


def brief(action: Action) -> str:
    """An action in one word: its coalescing key (``recommendation_scan:3``), else its kind."""
    return action.coalesce_key or action.kind
