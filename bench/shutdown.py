"""Figure 6: SIGTERM to exit with 64 messages in flight.

Two cases, each with 64 probe events that sleep in the handler:
- ``finishes_in_drain``: the work (3 s) ends within the drain deadline, so the daemon lets it finish,
  deletes the messages and exits;
- ``outlives_drain``: the work (120 s) outlives a 5 s drain deadline, so the daemon cancels it and
  makes the messages visible again before it exits.
The time runs from SIGTERM (sent once all 64 are in flight and ~1 s into their work) to the exit of
the process; the queue is checked afterwards.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from bench.common import depth, fill, run_queue, say, spread, sqs_client
from bench.consumers import start_wsbridge, wait_ready
from bench.findings import probe_body

IN_FLIGHT = 64
CASES: dict[str, dict[str, Any]] = {
    "finishes_in_drain": {"sleep_seconds": 3.0, "drain_seconds": 25},
    "outlives_drain": {"sleep_seconds": 120.0, "drain_seconds": 5},
}


def one_run(sqs: Any, sleep_seconds: float, drain_seconds: float) -> dict[str, Any]:
    with run_queue(sqs, "shutdown", visibility_timeout=300) as queue:
        daemon = start_wsbridge(
            queue,
            "http://127.0.0.1:9/api",
            handlers="probe",
            concurrency=IN_FLIGHT,
            poll_loops=4,
            drain_seconds=drain_seconds,
            handler_timeout_seconds=300,
        )
        try:
            wait_ready(daemon)
            fill(sqs, queue.url, [probe_body(sleep_seconds=sleep_seconds) for _ in range(IN_FLIGHT)])
            deadline = time.monotonic() + 60
            while daemon.metric("wsbridge_messages_in_flight") < IN_FLIGHT:
                if time.monotonic() > deadline:
                    raise TimeoutError("the daemon never had 64 messages in flight")
                time.sleep(0.05)
            time.sleep(1.0)
            sent = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            code = daemon.process.wait(timeout=drain_seconds + 60)
            exit_seconds = time.monotonic() - sent
        finally:
            daemon.stop()
        visible, in_flight = depth(sqs, queue.url)
    return {"exit_seconds": exit_seconds, "exit_code": code, "visible_after": visible, "in_flight_after": in_flight}


def run(runs: int = 3) -> dict[str, Any]:
    sqs = sqs_client()
    result: dict[str, Any] = {"in_flight": IN_FLIGHT, "cases": {}}
    for name, case in CASES.items():
        readings = []
        for index in range(runs):
            reading = one_run(sqs, case["sleep_seconds"], case["drain_seconds"])
            readings.append(reading)
            say(
                f"shutdown {name} run {index + 1}: exit after {reading['exit_seconds']:.2f} s (code "
                f"{reading['exit_code']}), queue after: {reading['visible_after']} visible, "
                f"{reading['in_flight_after']} in flight"
            )
        result["cases"][name] = {
            **case,
            "exit_seconds": spread(r["exit_seconds"] for r in readings),
            "exit_codes": sorted({r["exit_code"] for r in readings}),
            "visible_after": [r["visible_after"] for r in readings],
            "in_flight_after": [r["in_flight_after"] for r in readings],
        }
    return result
