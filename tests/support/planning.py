"""Planning against a real WS sandbox process: the seed, the sandbox and a HandlerContext around a WS client."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from support.sandbox import API_KEY, SEED, SandboxProcess
from wsbridge.consumer.actions import Action
from wsbridge.consumer.handler import HandlerContext
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.workload_security import ClientOptions, WorkloadSecurityClient

KUBECTL_INSTANCE = "i-0c10c2c7863d1a356"
"""The instance of the Security Hub samples, added to the seed as computer 5 (policy Web Servers)."""


def seed() -> dict[str, Any]:
    """The default seed plus ``demo-kubectl-1``, a protected copy of demo-web-1 for the Security Hub samples."""
    document: dict[str, Any] = json.loads(SEED.read_text())
    web = next(computer for computer in document["computers"] if computer["hostName"] == "demo-web-1")
    kubectl = copy.deepcopy(web)
    kubectl.update({"ID": 5, "hostName": "demo-kubectl-1", "displayName": "demo-kubectl-1"})
    kubectl["ec2VirtualMachineSummary"]["instanceID"] = KUBECTL_INSTANCE
    document["computers"].append(kubectl)
    return document


def start_sandbox(seed_file: Path) -> Iterator[str]:
    """A ``wsbridge-sandbox`` subprocess seeded with ``seed_file``; yields its base URL."""
    with SandboxProcess(seed_file) as process:
        yield process.url


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
