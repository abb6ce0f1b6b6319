"""Figure 2: wsbridge's drain rate with a no-op handler vs a bare receive+delete loop (the emulator's limit).

Both are processes of their own using aiobotocore with the same number of receive loops, against
the same LocalStack, on fresh pre-filled queues, timed from the first receive to the last delete
(see :func:`bench.common.time_drain`). Runs alternate, so drift hits both alike. wsbridge runs the
``probe`` test handler with ``detail.noop``: parse, dispatch, triage, de-duplicate, an empty plan,
the batched delete, the canonical log line and the metrics, but no action. The replica rows share
a fresh state table (``WSBRIDGE_STATE_TABLE`` on the stack's DynamoDB) per run: one replica, then
two on the same queue (their CPU is the sum of both processes).
"""

from __future__ import annotations

from typing import Any

from bench.burst import fresh_state_table
from bench.common import Drain, delete_queue, fill, new_queue, say, spread, sqs_client, time_drain
from bench.consumers import Running, start_module, start_wsbridge
from bench.findings import probe_body


def _bare(queue_url: str, loops: int) -> Running:
    return start_module("bare_loop", "--queue-url", queue_url, "--loops", str(loops))


def one_run(sqs: Any, which: str, messages: int, loops: int, replicas: int = 1, **settings: Any) -> Drain:
    """Drain ``messages`` probe events with the bare loop or wsbridge (``settings`` go to wsbridge)."""
    queue = new_queue(sqs, f"drain-{which}")
    try:
        fill(sqs, queue.url, [probe_body(noop=True) for _ in range(messages)])
        if which == "bare":
            consumers = [_bare(queue.url, loops)]
        else:
            options = {"handlers": "probe", "poll_loops": loops, "concurrency": 10 * loops, **settings}
            if "state_table" in options:
                options["state_table"] = fresh_state_table()
            consumers = [start_wsbridge(queue, "http://127.0.0.1:9/api", **options) for _ in range(replicas)]
        try:
            return time_drain(sqs, queue.url, messages, [consumer.process for consumer in consumers], timeout=600)
        finally:
            for consumer in consumers:
                consumer.stop()
    finally:
        delete_queue(sqs, queue)


VARIANTS: dict[str, dict[str, Any]] = {
    "bare_receive_delete": {},
    "wsbridge_noop": {},
    "wsbridge_noop_log_warning": {"log_level": "warning"},
    "wsbridge_noop_shared_store": {"state_table": True},
    "wsbridge_noop_shared_store_2_replicas": {"state_table": True, "replicas": 2},
}


def run(runs: int = 3, messages: int = 4000, loops: int = 4) -> dict[str, Any]:
    sqs = sqs_client()
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for index in range(runs):
        for name, settings in VARIANTS.items():
            drain = one_run(sqs, "bare" if name.startswith("bare") else "wsbridge", messages, loops, **settings)
            rates[name].append(drain.per_second)
            cpu[name].append(drain.cpu_ms_per_message)
            say(
                f"drain run {index + 1} {name}: {drain.per_second:.0f} msg/s, {drain.cpu_ms_per_message:.3f} ms CPU/msg"
            )
    result: dict[str, Any] = {
        "messages": messages,
        "receive_loops": loops,
        "variants": {
            name: {"msgs_per_s": spread(rates[name]), "cpu_ms_per_msg": spread(cpu[name])} for name in VARIANTS
        },
    }
    bare = result["variants"]["bare_receive_delete"]["msgs_per_s"]["median"]
    for row in result["variants"].values():
        row["ratio_to_bare"] = round(row["msgs_per_s"]["median"] / bare, 3)
    one = result["variants"]["wsbridge_noop_shared_store"]["msgs_per_s"]["median"]
    two = result["variants"]["wsbridge_noop_shared_store_2_replicas"]["msgs_per_s"]["median"]
    result["two_replicas_ratio_to_one"] = round(two / one, 3)
    return result
