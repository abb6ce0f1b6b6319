"""Figure 2: wsbridge's drain rate with a no-op handler vs a bare receive+delete loop (the emulator's limit),
and one replica vs two on the same queue.

Both are processes of their own using aiobotocore with the same number of receive loops, against
the same LocalStack, on fresh pre-filled queues, timed from the first receive to the last delete
(see :func:`bench.common.time_drain`). Runs alternate, so drift hits both alike. wsbridge runs the
``probe`` test handler with ``detail.noop``: parse, dispatch, triage, de-duplicate, an empty plan,
the batched delete, the canonical log line and the metrics, but no action. The replica rows share
a fresh state table (``WSBRIDGE_STATE_TABLE`` on the stack's DynamoDB, deleted after the run): one
replica, then two on the same queue (their CPU is the sum of both processes). The CPU-bound ones
use the no-op handler; in the bounded ones (:data:`BOUNDED`) each replica's own limit binds, its
concurrency over the handler's time per message, while the table and the queue have room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.common import Drain, fill, fresh_state_table, run_queue, say, spread, sqs_client, time_drain
from bench.consumers import Running, start_module, start_wsbridge, stopping
from bench.findings import probe_body

BOUNDED_CONCURRENCY = 16
"""Each replica's concurrency in the rows where its own limit binds."""
BOUNDED_HANDLER_SECONDS = 0.5
"""How long the probe handler works on each message in those rows (as a WS call would)."""


def _bare(queue_url: str, loops: int) -> Running:
    return start_module("bare_loop", "--queue-url", queue_url, "--loops", str(loops))


def one_run(
    sqs: Any,
    which: str,
    messages: int,
    loops: int,
    replicas: int = 1,
    body: Callable[[], str] = lambda: probe_body(noop=True),
    **settings: Any,
) -> Drain:
    """Drain ``messages`` probe events (``body`` makes each) with the bare loop or wsbridge (``settings``
    go to wsbridge)."""
    with run_queue(sqs, f"drain-{which}") as queue:
        fill(sqs, queue.url, [body() for _ in range(messages)])
        if which == "bare":
            consumers = [_bare(queue.url, loops)]
        else:
            options = {"handlers": "probe", "poll_loops": loops, "concurrency": 10 * loops, **settings}
            if options.pop("state_table", False):
                options["state_table"] = fresh_state_table()
            consumers = [start_wsbridge(queue, "http://127.0.0.1:9/api", **options) for _ in range(replicas)]
        with stopping(consumers):
            return time_drain(sqs, queue.url, messages, [consumer.process for consumer in consumers], timeout=600)


VARIANTS: dict[str, dict[str, Any]] = {
    "bare_receive_delete": {},
    "wsbridge_noop": {},
    "wsbridge_noop_log_warning": {"log_level": "warning"},
    "wsbridge_noop_shared_store": {"state_table": True},
    "wsbridge_noop_shared_store_2_replicas": {"state_table": True, "replicas": 2},
}
"""CPU-bound rows: the no-op handler, 10 workers per receive loop."""

BOUNDED: dict[str, dict[str, Any]] = {
    "wsbridge_bounded_shared_store": {"state_table": True},
    "wsbridge_bounded_shared_store_2_replicas": {"state_table": True, "replicas": 2},
}
"""Rows where each replica's own limit binds: its concurrency times the handler's time per message."""


def _bounded_body() -> str:
    return probe_body(sleep_seconds=BOUNDED_HANDLER_SECONDS)


def _rows(rates: dict[str, list[float]], cpu: dict[str, list[float]]) -> dict[str, Any]:
    return {name: {"msgs_per_s": spread(rates[name]), "cpu_ms_per_msg": spread(cpu[name])} for name in rates}


def _median(rows: dict[str, Any], name: str) -> float:
    return float(rows[name]["msgs_per_s"]["median"])


def run(runs: int = 3, messages: int = 4000, loops: int = 4) -> dict[str, Any]:
    sqs = sqs_client()
    bounded_messages = max(250, messages // 4)
    bounded_settings = {"concurrency": BOUNDED_CONCURRENCY, "body": _bounded_body}
    plan = [(name, messages, settings) for name, settings in VARIANTS.items()]
    plan += [(name, bounded_messages, {**bounded_settings, **settings}) for name, settings in BOUNDED.items()]
    rates: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in plan}
    for index in range(runs):
        for name, count, settings in plan:
            drain = one_run(sqs, "bare" if name.startswith("bare") else "wsbridge", count, loops, **settings)
            rates[name].append(drain.per_second)
            cpu[name].append(drain.cpu_ms_per_message)
            say(
                f"drain run {index + 1} {name}: {drain.per_second:.0f} msg/s, {drain.cpu_ms_per_message:.3f} ms CPU/msg"
            )
    variants = _rows({name: rates[name] for name in VARIANTS}, {name: cpu[name] for name in VARIANTS})
    bare = _median(variants, "bare_receive_delete")
    for row in variants.values():
        row["ratio_to_bare"] = round(row["msgs_per_s"]["median"] / bare, 3)
    bounded = _rows({name: rates[name] for name in BOUNDED}, {name: cpu[name] for name in BOUNDED})
    for name, row in bounded.items():
        replicas = BOUNDED[name].get("replicas", 1)
        row["replicas"] = replicas
        row["ceiling_msgs_per_s"] = round(replicas * BOUNDED_CONCURRENCY / BOUNDED_HANDLER_SECONDS, 1)
    one = _median(bounded, "wsbridge_bounded_shared_store")
    two = _median(bounded, "wsbridge_bounded_shared_store_2_replicas")
    one_cpu_bound = _median(variants, "wsbridge_noop_shared_store")
    two_cpu_bound = _median(variants, "wsbridge_noop_shared_store_2_replicas")
    return {
        "messages": messages,
        "receive_loops": loops,
        "variants": variants,
        "bounded": {
            "messages": bounded_messages,
            "concurrency": BOUNDED_CONCURRENCY,
            "handler_seconds": BOUNDED_HANDLER_SECONDS,
            "variants": bounded,
        },
        "two_replicas_ratio_to_one": round(two / one, 3),
        "two_replicas_ratio_to_one_cpu_bound": round(two_cpu_bound / one_cpu_bound, 3),
    }
