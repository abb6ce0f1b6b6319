"""Baseline: the seed's pattern, one Lambda invocation after another.

Receive one message, respond with synchronous calls through a plain HTTP client, delete it, repeat.
Runs until SIGTERM; prints ``ready`` once its clients exist.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

import boto3

from bench.naive_ws import NaiveClient

_stopping = False


def _stop(signum: int, frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    sqs = boto3.client("sqs")
    ws = NaiveClient(args.ws_url, args.api_key)
    print("ready", flush=True)
    while not _stopping:
        response = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            try:
                ws.respond(message["Body"])
            except Exception as error:
                print(f"failed: {error}", file=sys.stderr, flush=True)
                continue
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
