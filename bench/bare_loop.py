"""The emulator's limit for a consumer: receive + DeleteMessageBatch loops and nothing else.

The same client library (aiobotocore) and receive parameters as wsbridge's poller. Runs until
SIGTERM; prints ``ready`` once its client exists.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


async def consume(queue_url: str, loops: int, wait_seconds: int) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    config = AioConfig(max_pool_connections=loops * 2 + 8)
    async with get_session().create_client("sqs", config=config) as client:

        async def loop() -> None:
            while True:
                response = await client.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=wait_seconds,
                    VisibilityTimeout=60,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                )
                messages = response.get("Messages", [])
                if messages:
                    entries: Any = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
                    await client.delete_message_batch(QueueUrl=queue_url, Entries=entries)

        print("ready", flush=True)
        tasks = [asyncio.create_task(loop()) for _ in range(loops)]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--loops", type=int, default=4)
    parser.add_argument("--wait-seconds", type=int, default=20)
    args = parser.parse_args(argv)
    asyncio.run(consume(args.queue_url, args.loops, args.wait_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
