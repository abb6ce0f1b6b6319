"""Baseline: a thread-pool consumer, the way Celery- or Shoryuken-style workers run.

One fetcher receives as many messages as there are idle workers (up to 10 per call) and hands them
to a pool of threads; each thread responds with synchronous calls through a plain HTTP client
(one shared keep-alive pool) and deletes its message with boto3. Runs until SIGTERM; prints
``ready`` once its clients exist.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import boto3
from botocore.config import Config

from bench.naive_ws import NaiveClient

_stopping = threading.Event()


def _stop(signum: int, frame: FrameType | None) -> None:
    _stopping.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    sqs = boto3.client("sqs", config=Config(max_pool_connections=args.threads + 2))
    ws = NaiveClient(args.ws_url, args.api_key, pool_size=args.threads)
    idle = threading.Semaphore(args.threads)

    def work(message: Any) -> None:
        try:
            ws.respond(message["Body"])
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
        except Exception as error:
            print(f"failed: {error}", file=sys.stderr, flush=True)
        finally:
            idle.release()

    print("ready", flush=True)
    with ThreadPoolExecutor(args.threads) as pool:
        while not _stopping.is_set():
            if not idle.acquire(timeout=0.5):
                continue
            wanted = 1
            while wanted < 10 and idle.acquire(blocking=False):
                wanted += 1
            response = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=wanted, WaitTimeSeconds=1)
            messages = response.get("Messages", [])
            for _ in range(wanted - len(messages)):
                idle.release()
            for message in messages:
                pool.submit(work, message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
