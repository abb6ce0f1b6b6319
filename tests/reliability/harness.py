"""What the fault-injection tests drive: a WS sandbox of their own, an event bus, a cuttable TCP proxy, daemons.

Everything is a real process or socket on this machine. The suite runs at a reduced size in
``make test`` and at full size with ``WSBRIDGE_RELIABILITY_SCALE=full`` (``make test-reliability``).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from support.daemon import Daemon, QueueUnderTest, wait_for
from support.processes import free_port
from support.sandbox import SEED, SandboxProcess

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "fixtures" / "events"
SANDBOX_KEY = "sandbox-key"
WSBRIDGE = str(Path(sys.executable).with_name("wsbridge"))
FIRST_COMPUTER_ID = 5000


def full_scale() -> bool:
    """True for ``make test-reliability`` (``WSBRIDGE_RELIABILITY_SCALE=full``)."""
    return os.environ.get("WSBRIDGE_RELIABILITY_SCALE", "reduced").lower() == "full"


def scaled(reduced: float, full: float) -> float:
    return full if full_scale() else reduced


# --- the WS sandbox ---------------------------------------------------------------------------------


class Sandbox(SandboxProcess):
    """A sandbox of the test's own, seeded with ``computers`` protected computers besides the default seed's."""

    def __init__(self, computers: int) -> None:
        super().__init__()
        self.admin("POST", "seed", {"computers": protected_computers(computers)})


def instance_id(index: int) -> str:
    return f"i-{0xA000000 + index:017x}"


def protected_computers(count: int) -> list[dict[str, Any]]:
    """The seed's computers plus ``count`` protected ones, computer ``FIRST_COMPUTER_ID + n`` on instance ``n``."""
    seed = json.loads(SEED.read_text())
    template = next(computer for computer in seed["computers"] if computer["hostName"] == "demo-web-1")
    computers = list(seed["computers"])
    for index in range(count):
        computer = copy.deepcopy(template)
        computer["ID"] = FIRST_COMPUTER_ID + index
        computer["hostName"] = computer["displayName"] = f"reliability-{index}"
        computer["hostGUID"] = str(uuid.UUID(int=index + 1))
        computer["ec2VirtualMachineSummary"]["instanceID"] = instance_id(index)
        computers.append(computer)
    return computers


# --- findings and the event bus ---------------------------------------------------------------------


def guardduty_detail(instance: str | None) -> dict[str, Any]:
    """The ``detail`` of a new GuardDuty finding about ``instance`` (``None``: a poison finding, whose
    resource type is not a string)."""
    event = json.loads((EVENTS / "guardduty-canary-ec2-1.json").read_text())
    detail: dict[str, Any] = event["detail"]
    detail["id"] = uuid.uuid4().hex
    detail["arn"] = f"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/{detail['id']}"
    detail["type"] = "UnauthorizedAccess:EC2/SSHBruteForce"
    if instance is None:
        detail["resource"]["resourceType"] = 7
    else:
        detail["resource"]["instanceDetails"]["instanceId"] = instance
    return detail


@dataclass
class EventBus:
    """A custom event bus whose one rule sends GuardDuty findings to the test's queue."""

    name: str
    rule: str
    client: Any

    @classmethod
    def to_queue(cls, queue: QueueUnderTest) -> EventBus:
        client = boto3.client("events")
        name = f"wsbridge-reliability-{uuid.uuid4().hex[:10]}"
        client.create_event_bus(Name=name)
        pattern = {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}
        client.put_rule(Name=name, EventBusName=name, EventPattern=json.dumps(pattern))
        client.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "queue", "Arn": queue.arn}])
        return cls(name, name, client)

    def put(self, details: list[dict[str, Any]]) -> None:
        for start in range(0, len(details), 10):
            entries = [
                {
                    "EventBusName": self.name,
                    "Source": "aws.guardduty",
                    "DetailType": "GuardDuty Finding",
                    "Detail": json.dumps(detail),
                }
                for detail in details[start : start + 10]
            ]
            response = self.client.put_events(Entries=entries)
            assert response["FailedEntryCount"] == 0, response

    def delete(self) -> None:
        self.client.remove_targets(Rule=self.rule, EventBusName=self.name, Ids=["queue"])
        self.client.delete_rule(Name=self.rule, EventBusName=self.name)
        self.client.delete_event_bus(Name=self.name)


# --- who did what, from the sandbox's call log ------------------------------------------------------

_COMPUTER_PATH = re.compile(r"^/api/computers/(\d+)/")


def computer_of(call: dict[str, Any], by_instance: dict[str, int]) -> int | None:
    """The computer a WS call was about (searches name the instance, scans the computer in their body)."""
    match = _COMPUTER_PATH.match(call["path"])
    if match:
        return int(match.group(1))
    body = call.get("body")
    if not isinstance(body, dict):
        return None
    if call["path"] == "/api/computers/search":
        for criterion in body.get("searchCriteria") or []:
            if criterion.get("fieldName", "").endswith("instanceID"):
                return by_instance.get(str(criterion.get("stringValue")))
    for key, value in body.items():
        if key.endswith("TaskParameters") and isinstance(value, dict):
            return int(value["computerFilter"]["computerID"])
    return None


@dataclass
class Actions:
    """Successful mutating calls per computer: recommendation scans, integrity scans, rule assignments."""

    recommendation: dict[int, int] = field(default_factory=dict)
    integrity: dict[int, int] = field(default_factory=dict)
    assignments: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_calls(cls, calls: list[dict[str, Any]]) -> Actions:
        actions = cls()
        for call in calls:
            if call["status"] != 200 or call["method"] != "POST":
                continue
            if call["path"] == "/api/scheduledtasks":
                kind = call["body"]["type"]
                computer = computer_of(call, {})
                assert computer is not None
                table = actions.recommendation if kind == "scan-for-recommendations" else actions.integrity
                table[computer] = table.get(computer, 0) + 1
            match = _COMPUTER_PATH.match(call["path"])
            if match and call["path"].endswith("/intrusionprevention/assignments"):
                computer = int(match.group(1))
                actions.assignments[computer] = actions.assignments.get(computer, 0) + 1
        return actions

    def missing(self, computers: list[int]) -> list[int]:
        """Computers that did not get all three actions."""
        return [
            c
            for c in computers
            if not (self.recommendation.get(c) and self.integrity.get(c) and self.assignments.get(c))
        ]

    def repeated(self) -> set[int]:
        """Computers that got a scan more than once."""
        return {c for table in (self.recommendation, self.integrity) for c, n in table.items() if n > 1}


# --- a TCP proxy the test can cut ---------------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; :meth:`cut` closes every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()
        self.restore()

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def restore(self) -> None:
        """Accept connections again."""
        self._run(self._listen())

    def cut(self) -> None:
        """Stop listening and drop every open connection: the target is unreachable."""
        self._run(self._close())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        try:
            await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        finally:
            self._writers -= {writer, upstream_writer}
            for end in (writer, upstream_writer):
                end.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()


# --- daemons ------------------------------------------------------------------------------------------


def start_daemon(
    queue: QueueUnderTest, workdir: Path, *, ws_url: str, aws_endpoint: str | None = None, **settings: Any
) -> Daemon:
    """``wsbridge run`` on the test's queue and WS sandbox (optionally reaching AWS through a proxy)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("WSBRIDGE_")}
    env.update(
        {
            "WSBRIDGE_QUEUE_URL": queue.url,
            "WSBRIDGE_DLQ_URL": queue.dlq_url,
            "WSBRIDGE_WS_URL": ws_url,
            "WSBRIDGE_WS_API_KEY": SANDBOX_KEY,
            "WSBRIDGE_METRICS_PORT": str(port),
            "WSBRIDGE_METRICS_HOST": "127.0.0.1",
            "WSBRIDGE_LOG_FORMAT": "json",
            "WSBRIDGE_WAIT_TIME_SECONDS": "2",
            "WSBRIDGE_PROBE_DIR": str(workdir / "probe"),
        }
    )
    if aws_endpoint is not None:
        env["AWS_ENDPOINT_URL"] = aws_endpoint
    env.update({f"WSBRIDGE_{key.upper()}": str(value) for key, value in settings.items()})
    log_path = workdir / f"daemon-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([WSBRIDGE, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    daemon = Daemon(process, port, log_path, workdir / "probe", env)
    wait_for(lambda: daemon.get("/healthz")[0] == 200 or process.poll() is not None, 30, what="daemon /healthz")
    if process.poll() is not None:
        raise AssertionError(f"daemon exited with {process.returncode}: {log_path.read_text()[-2000:]}")
    return daemon


def kill(daemon: Daemon) -> None:
    """SIGKILL: no drain, no release, no last log line."""
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait(timeout=10)


@contextlib.contextmanager
def stopping(daemons: list[Daemon]) -> Iterator[list[Daemon]]:
    try:
        yield daemons
    finally:
        for daemon in daemons:
            daemon.stop()
