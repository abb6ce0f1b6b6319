"""What every benchmark shares: the stack's queues and WS sandbox, process readings, drain timing, statistics.

The stack comes from the environment that ``python -m devstack test`` (or ``. .stack/env``) sets:
botocore's ``AWS_ENDPOINT_URL`` for LocalStack and ``WSBRIDGE_SANDBOX_URL`` for the WS sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SANDBOX_KEY = "sandbox-key"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"bench: {name} is not set; run under `python -m devstack test -- ...` or `. .stack/env`")
    return value


def sqs_client() -> Any:
    required_env("AWS_ENDPOINT_URL")
    return boto3.client("sqs", config=Config(max_pool_connections=32, retries={"mode": "standard"}))


# --- the WS sandbox -----------------------------------------------------------------------------


class Sandbox:
    """The admin side of the WS sandbox (``/_sandbox/...``)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = (url or required_env("WSBRIDGE_SANDBOX_URL")).rstrip("/")

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        if method == "POST" and data is None:
            data = b""
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def reset(self, **faults: Any) -> None:
        """Objects back to the seed, empty call log; then the given fault knobs (rate limit off unless named)."""
        self._call("POST", "reset")
        self.faults(**{"rate_limit_per_minute": 0, **faults})

    def faults(self, **knobs: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "faults", knobs)
        return result

    def seed(self, document: dict[str, Any]) -> None:
        self._call("POST", "seed", document)

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self._call("GET", f"calls?since={since}")["calls"]
        return calls


# --- queues -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queue:
    url: str
    dlq_url: str


def new_queue(sqs: Any, purpose: str, visibility_timeout: int = 60, max_receive_count: int = 5) -> Queue:
    """A fresh queue with a dead-letter queue."""
    name = f"wsbridge-bench-{purpose}-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)})
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "MaximumMessageSize": "1048576",
            "RedrivePolicy": redrive,
        },
    )["QueueUrl"]
    return Queue(url, dlq_url)


def delete_queue(sqs: Any, queue: Queue) -> None:
    for url in (queue.url, queue.dlq_url):
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception as error:
            print(f"bench: could not delete {url}: {error}")


_CREATED_TABLES: list[str] = []


def fresh_state_table() -> str:
    """A new shared-state table for one run (coalescing keys of an earlier run would hide this run's work);
    :func:`run_queue` removes it after the run."""
    from devstack.bootstrap import ensure_state_table

    required_env("WSBRIDGE_STACK_STATE_TABLE")
    table = ensure_state_table(boto3.client("dynamodb"), f"wsbridge-bench-state-{uuid.uuid4().hex[:8]}")
    _CREATED_TABLES.append(table)
    return table


def delete_state_tables() -> None:
    """Delete the tables :func:`fresh_state_table` made, so that runs do not pile up in the emulator."""
    if not _CREATED_TABLES:
        return
    client = boto3.client("dynamodb")
    while _CREATED_TABLES:
        client.delete_table(TableName=_CREATED_TABLES.pop())


@contextlib.contextmanager
def run_queue(sqs: Any, purpose: str, **queue_options: Any) -> Iterator[Queue]:
    """A fresh queue for one run (``queue_options`` as for :func:`new_queue`); when the run ends, the
    queue and the state tables made for it go."""
    queue = new_queue(sqs, purpose, **queue_options)
    try:
        yield queue
    finally:
        delete_queue(sqs, queue)
        delete_state_tables()


def fill(sqs: Any, url: str, bodies: Sequence[str], threads: int = 4) -> None:
    """Send ``bodies`` with SendMessageBatch from a few threads."""
    chunks = [bodies[start : start + 10] for start in range(0, len(bodies), 10)]

    def send(chunk: Sequence[str]) -> None:
        entries = [{"Id": str(index), "MessageBody": body} for index, body in enumerate(chunk)]
        response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SendMessageBatch failed: {response['Failed'][0]}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, chunks))


def depth(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


# --- process readings ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (now) and ``VmHWM`` (peak) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine_note() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {"cores": os.cpu_count(), "load_1m_at_start": load_average(), "started": time.strftime("%Y-%m-%d %H:%M")}


# --- drain timing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drain:
    """One consumer emptying a pre-filled queue, timed from its first receive to the queue being empty."""

    messages: int
    seconds: float
    cpu_seconds: float
    peak_rss_kib: int

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_ms_per_message(self) -> float:
        return 1000 * self.cpu_seconds / self.messages


def time_drain(
    sqs: Any,
    url: str,
    messages: int,
    process: subprocess.Popen[bytes] | Sequence[subprocess.Popen[bytes]],
    timeout: float,
    interval: float = 0.025,
) -> Drain:
    """Watch a pre-filled queue while ``process`` (or several) consumes it.

    The clock starts when the first message leaves the visible count (the consumer's first receive,
    so its start-up is not counted, whatever it is), and stops when no message is left, visible or in
    flight. The processes' CPU time is read at the same two moments (summed; peak RSS is the largest).
    """
    processes = [process] if isinstance(process, subprocess.Popen) else list(process)
    deadline = time.monotonic() + timeout
    started = cpu_start = None
    while time.monotonic() < deadline:
        for each in processes:
            if each.poll() is not None:
                raise RuntimeError(f"the consumer exited with {each.returncode} before the queue was drained")
        visible, in_flight = depth(sqs, url)
        now = time.monotonic()
        if started is None and visible < messages:
            started, cpu_start = now, sum(cpu_seconds(each.pid) for each in processes)
        if started is not None and visible + in_flight == 0:
            assert cpu_start is not None
            cpu = sum(cpu_seconds(each.pid) for each in processes) - cpu_start
            peak = max(memory_kib(each.pid)["VmHWM"] for each in processes)
            return Drain(messages, max(now - started, interval), cpu, peak)
        time.sleep(interval)
    raise TimeoutError(f"the queue was not drained within {timeout:g} s (left: {depth(sqs, url)})")


# --- statistics and results ---------------------------------------------------------------------


def spread(values: Iterable[float]) -> dict[str, Any]:
    """Median, min, max and the spread ((max - min) / median, in %) of repeated runs."""
    data = sorted(values)
    middle = statistics.median(data)
    return {
        "median": round(middle, 4),
        "min": round(data[0], 4),
        "max": round(data[-1], 4),
        "spread_pct": round(100 * (data[-1] - data[0]) / middle, 1) if middle else None,
        "runs": [round(value, 4) for value in data],
    }


def write_result(name: str, document: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {**document, "load_1m_at_end": load_average()}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)
