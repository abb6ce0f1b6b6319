"""Figure 5: memory. Peak RSS at concurrency 256; RSS after 20k and 100k messages.

In flight: wsbridge at concurrency 256 on GuardDuty findings while every WS call takes 200 ms, so
every slot holds a finding for about two seconds; the thread pool at 256 threads is beside it.
Growth: a long run of no-op probe events (a producer keeps the queue topped up), RSS read when the
processed count passes 1k (warm), 20k and 100k.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from bench.common import (
    Sandbox,
    depth,
    fill,
    memory_kib,
    run_queue,
    say,
    spread,
    sqs_client,
    time_drain,
)
from bench.consumers import Running, start_baseline, start_wsbridge, wait_ready
from bench.findings import bodies, probe_body, sandbox_seed

IN_FLIGHT = 256
IN_FLIGHT_LATENCY_MS = 200


def peak_in_flight(sandbox: Sandbox, sqs: Any, which: str) -> dict[str, float]:
    """Peak RSS of one consumer holding up to 256 findings at once, and the most it held."""
    findings = 3 * IN_FLIGHT
    sandbox.reset(latency_ms=IN_FLIGHT_LATENCY_MS)
    with run_queue(sqs, "memory-in-flight") as queue:
        fill(sqs, queue.url, bodies(findings, findings))
        if which == "wsbridge":
            consumer = start_wsbridge(
                queue,
                sandbox.api_url,
                concurrency=IN_FLIGHT,
                poll_loops=4,
                handlers="guardduty",
                coalesce_window_seconds=0,
                ws_max_connections=IN_FLIGHT,
            )
        else:
            consumer = start_baseline("thread_pool", queue, sandbox.api_url, "--threads", str(IN_FLIGHT))
        try:
            most = _watch_in_flight(sqs, queue.url, consumer, findings)
            drain = time_drain(sqs, queue.url, findings, consumer.process, timeout=600)
        finally:
            consumer.stop()
    return {"peak_rss_mib": drain.peak_rss_kib / 1024, "most_in_flight": most}


def _watch_in_flight(sqs: Any, url: str, consumer: Running, findings: int) -> float:
    """The most messages the queue showed in flight until the consumer was half way."""
    most = 0
    while True:
        visible, in_flight = depth(sqs, url)
        most = max(most, in_flight)
        if visible + in_flight <= findings // 2 or consumer.process.poll() is not None:
            return most
        time.sleep(0.05)


class Producer(threading.Thread):
    """Keeps the queue between ``low`` and ``high`` visible messages until ``total`` were sent."""

    def __init__(self, sqs: Any, url: str, total: int, low: int = 2000, high: int = 4000) -> None:
        super().__init__(daemon=True)
        self.sqs, self.url, self.total, self.low, self.high = sqs, url, total, low, high
        self.sent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while self.sent < self.total and not self.stop.is_set():
            visible, _ = depth(self.sqs, self.url)
            if visible >= self.low:
                time.sleep(0.05)
                continue
            batch = min(self.high - visible, self.total - self.sent)
            fill(self.sqs, self.url, [probe_body(noop=True) for _ in range(batch)])
            self.sent += batch


def growth(sqs: Any, checkpoints: tuple[int, ...], **settings: Any) -> dict[str, Any]:
    """RSS (MiB) of a no-op wsbridge when its processed count passes each checkpoint."""
    total = checkpoints[-1]
    readings: dict[str, Any] = {}
    with run_queue(sqs, "memory-growth") as queue:
        options = {"handlers": "probe", "poll_loops": 4, "concurrency": 40, **settings}
        consumer = start_wsbridge(queue, "http://127.0.0.1:9/api", **options)
        producer = Producer(sqs, queue.url, total)
        try:
            wait_ready(consumer)
            producer.start()
            started = time.monotonic()
            for checkpoint in checkpoints:
                while consumer.metric("wsbridge_messages_processed_total") < checkpoint:
                    if consumer.process.poll() is not None or time.monotonic() - started > 1800:
                        raise RuntimeError("the growth run stalled")
                    time.sleep(0.05)
                rss = memory_kib(consumer.process.pid)["VmRSS"] / 1024
                readings[str(checkpoint)] = round(rss, 1)
                say(f"growth: RSS {rss:.1f} MiB after {checkpoint} messages ({time.monotonic() - started:.0f} s)")
        finally:
            producer.stop.set()
            consumer.stop()
    return readings


def checkpoints(scale: float = 1.0) -> tuple[int, ...]:
    """1k (warm), 20k, 100k and 200k messages (the de-duplication store holds at most 100k keys)."""
    return tuple(max(100, int(point * scale)) for point in (1000, 20_000, 100_000, 200_000))


def run(runs: int = 3, points: tuple[int, ...] = checkpoints()) -> dict[str, Any]:
    sandbox, sqs = Sandbox(), sqs_client()
    sandbox.seed(sandbox_seed(3 * IN_FLIGHT))
    peaks: dict[str, dict[str, list[float]]] = {"wsbridge": {}, "thread_pool": {}}
    for index in range(runs):
        for which, row in peaks.items():
            measured = peak_in_flight(sandbox, sqs, which)
            for name, value in measured.items():
                row.setdefault(name, []).append(value)
            say(
                f"memory run {index + 1} {which}: peak RSS {measured['peak_rss_mib']:.1f} MiB, "
                f"{measured['most_in_flight']} in flight"
            )
    readings: dict[str, list[float]] = {}
    for _ in range(runs):
        for point, rss in growth(sqs, points).items():
            readings.setdefault(point, []).append(rss)
    rss = {point: spread(values) for point, values in readings.items()}
    median = {point: row["median"] for point, row in rss.items()}
    names = [str(point) for point in points]
    return {
        "in_flight": {
            "target": IN_FLIGHT,
            "ws_latency_ms": IN_FLIGHT_LATENCY_MS,
            "systems": {which: {name: spread(values) for name, values in row.items()} for which, row in peaks.items()},
        },
        "growth": {
            "checkpoints": list(points),
            "rss_mib_after_messages": rss,
            "growth_pct": {
                f"{a}_to_{b}": round(100 * (median[b] - median[a]) / median[a], 1) for a, b in itertools.pairwise(names)
            },
        },
    }
