"""Figure 1: findings per second, wsbridge vs the seed's pattern and a thread pool, at 0, 20 and 100 ms.

Every consumer empties a pre-filled queue of GuardDuty findings about protected instances while the
WS sandbox answers each call after ``latency_ms``. Like for like: every finding is about its own
instance (wsbridge's cache and coalescing have nothing to share), and wsbridge's coalescing window
is 0. The realistic case then puts ten findings on each instance with wsbridge's default window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import (
    Drain,
    Queue,
    Sandbox,
    fill,
    run_queue,
    say,
    spread,
    sqs_client,
    time_drain,
)
from bench.consumers import Running, start_baseline, start_wsbridge
from bench.findings import bodies, sandbox_seed

Starter = Callable[[Queue, str], Running]


@dataclass(frozen=True, slots=True)
class System:
    name: str
    start: Starter
    like_for_like: bool = True


def wsbridge(concurrency: int, coalesce: bool) -> Starter:
    settings: dict[str, Any] = {"concurrency": concurrency, "handlers": "guardduty"}
    if not coalesce:
        settings["coalesce_window_seconds"] = 0

    def start(queue: Queue, ws_url: str) -> Running:
        return start_wsbridge(queue, ws_url, **settings)

    return start


def seed_pattern(queue: Queue, ws_url: str) -> Running:
    return start_baseline("seed_pattern", queue, ws_url)


def thread_pool(queue: Queue, ws_url: str) -> Running:
    return start_baseline("thread_pool", queue, ws_url, "--threads", "16")


def systems(coalesce: bool) -> list[System]:
    return [
        System("seed_pattern", seed_pattern),
        System("thread_pool_16", thread_pool),
        System("wsbridge_c16", wsbridge(16, coalesce)),
        System("wsbridge_c32", wsbridge(32, coalesce)),
    ]


def findings_for(system: str, latency_ms: int, scale: float) -> int:
    """Enough findings for ~10-20 s of work per run (the seed's pattern is an order of magnitude slower)."""
    if system == "seed_pattern":
        count = {0: 300, 20: 100}.get(latency_ms, 40)
    else:
        count = {0: 1500, 20: 1000}.get(latency_ms, 500)
    return max(20, int(count * scale))


@dataclass(frozen=True, slots=True)
class Measured:
    drain: Drain
    calls: int
    scan_tasks: int
    failed_calls: int


def measure(
    sandbox: Sandbox, sqs: Any, start: Starter, messages: list[str], latency_ms: float, timeout: float
) -> Measured:
    """One run on a fresh queue: reset the sandbox, fill the queue, let the consumer empty it, read the call log.

    A fresh queue per run matters: LocalStack keeps serving a long poll whose client has gone, so a
    queue reused right after a consumer stopped loses up to ten messages to the old poll for a
    visibility timeout.
    """
    sandbox.reset(latency_ms=latency_ms)
    with run_queue(sqs, "throughput") as queue:
        fill(sqs, queue.url, messages)
        consumer = start(queue, sandbox.api_url)
        try:
            drain = time_drain(sqs, queue.url, len(messages), consumer.process, timeout)
        finally:
            consumer.stop()
    calls = sandbox.calls()
    scans = [c for c in calls if c["method"] == "POST" and c["path"] == "/api/scheduledtasks" and c["status"] == 200]
    failed = [c for c in calls if (c["status"] or 0) >= 400]
    return Measured(drain, len(calls), len(scans), len(failed))


SCENARIOS: tuple[tuple[str, int, bool, int], ...] = (
    ("distinct_instances", 0, False, 1),
    ("distinct_instances", 20, False, 1),
    ("distinct_instances", 100, False, 1),
    ("ten_findings_per_instance", 20, True, 10),
)
"""(name, WS latency in ms, wsbridge's coalescing on, findings per instance)."""

METRICS = ("findings_per_s", "cpu_ms_per_finding", "ws_calls_per_finding", "scan_tasks_per_finding", "peak_rss_mib")


def run(runs: int = 3, scale: float = 1.0) -> dict[str, Any]:
    sandbox, sqs = Sandbox(), sqs_client()
    sandbox.seed(sandbox_seed(max(findings_for("wsbridge", latency, scale) for _, latency, _, _ in SCENARIOS)))
    results: dict[str, Any] = {}
    for scenario, latency, coalesce, per_instance in SCENARIOS:
        key = f"{scenario}_{latency}ms"
        table: dict[str, dict[str, list[float]]] = {}
        for index in range(runs):
            for system in systems(coalesce):
                count = findings_for(system.name, latency, scale)
                started = time.monotonic()
                measured = measure(sandbox, sqs, system.start, bodies(count, count // per_instance), latency, 600)
                values = (
                    measured.drain.per_second,
                    measured.drain.cpu_ms_per_message,
                    measured.calls / count,
                    measured.scan_tasks / count,
                    measured.drain.peak_rss_kib / 1024,
                )
                row = table.setdefault(system.name, {"findings": [], "failed_ws_calls": []})
                for name, value in zip(METRICS, values, strict=True):
                    row.setdefault(name, []).append(value)
                row["findings"].append(count)
                row["failed_ws_calls"].append(measured.failed_calls)
                say(
                    f"{key} run {index + 1} {system.name}: {values[0]:.1f} findings/s, {values[1]:.2f} ms CPU, "
                    f"{values[2]:.2f} WS calls, {values[3]:.2f} scans per finding ({time.monotonic() - started:.0f} s)"
                )
        rows: dict[str, dict[str, Any]] = {
            name: {metric: spread(values) if metric in METRICS else values for metric, values in row.items()}
            for name, row in table.items()
        }
        base = rows["seed_pattern"]["findings_per_s"]["median"]
        for summary in rows.values():
            summary["speedup_vs_seed_pattern"] = round(summary["findings_per_s"]["median"] / base, 2)
        results[key] = {
            "latency_ms": latency,
            "wsbridge_coalescing": coalesce,
            "findings_per_instance": per_instance,
            "systems": rows,
        }
    return {"scenarios": results}
