"""Drain rate of the daemon with a no-op handler vs a bare receive+delete loop on the same queue.

Both use aiobotocore against the same emulator with the same number of concurrent receive loops.
Each figure is the median of ``--runs`` runs; the result is also written to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from aiobotocore.session import get_session

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from support.daemon import free_port, probe_event, wait_for

RESULTS = Path(__file__).parent / "results"


def fill(sqs: Any, url: str, count: int) -> None:
    body = json.dumps(probe_event("bench", noop=True))
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": body} for i in range(min(10, count - start))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def depth(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


async def bare_loop(url: str, count: int, loops: int) -> float:
    done = 0
    async with get_session().create_client("sqs") as client:

        async def loop() -> None:
            nonlocal done
            while done < count:
                response = await client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                messages = response.get("Messages", [])
                if messages:
                    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                    await client.delete_message_batch(QueueUrl=url, Entries=entries)
                    done += len(messages)

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(loops)))
        return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_run(sqs: Any, url: str, dlq: str, count: int, loops: int) -> tuple[float, float]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        WSBRIDGE_QUEUE_URL=url,
        WSBRIDGE_DLQ_URL=dlq,
        WSBRIDGE_METRICS_PORT=str(port),
        WSBRIDGE_HANDLERS="probe",
        WSBRIDGE_POLL_LOOPS=str(loops),
        WSBRIDGE_WAIT_TIME_SECONDS="1",
        WSBRIDGE_LOG_LEVEL="warning",
        WSBRIDGE_CONCURRENCY=str(10 * loops),
    )
    env.pop("WSBRIDGE_WS_API_KEY", None)
    fill(sqs, url, count)
    process = subprocess.Popen([str(Path(sys.executable).with_name("wsbridge")), "run"], env=env)
    try:
        wait_for(lambda: _healthy(port), 30, interval=0.01, what="daemon health")
        before = cpu_seconds(process.pid)
        started = time.perf_counter()
        wait_for(lambda: depth(sqs, url) == 0, 600, interval=0.05, what="drain")
        elapsed = time.perf_counter() - started
        return elapsed, cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait(timeout=60)


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--loops", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sqs = boto3.client("sqs")
    name = f"wsbridge-bench-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    bare, daemon, daemon_cpu = [], [], []
    try:
        for _ in range(args.runs):
            fill(sqs, url, args.messages)
            bare.append(args.messages / asyncio.run(bare_loop(url, args.messages, args.loops)))
            elapsed, cpu = daemon_run(sqs, url, dlq, args.messages, args.loops)
            daemon.append(args.messages / elapsed)
            daemon_cpu.append(cpu / args.messages * 1000)
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)
    result = {
        "messages": args.messages,
        "loops": args.loops,
        "runs": args.runs,
        "bare_receive_delete_msgs_per_s": bare,
        "wsbridge_noop_msgs_per_s": daemon,
        "wsbridge_cpu_ms_per_message": daemon_cpu,
        "ratio_median": statistics.median(daemon) / statistics.median(bare),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "drain_rate.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
