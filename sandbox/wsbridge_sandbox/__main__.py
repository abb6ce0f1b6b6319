"""``wsbridge-sandbox --host H --port P [--seed FILE] [--api-key K]`` (also ``python -m sandbox``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from aiohttp import web

from wsbridge_sandbox.app import create_app
from wsbridge_sandbox.core import DEFAULT_API_KEY, DEFAULT_AUDITOR_KEY, Keys, Sandbox, read_seed
from wsbridge_sandbox.seeding import SeedError

DEFAULT_PORT = 4580


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="wsbridge-sandbox", description="Workload Security API v1 sandbox")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    parser.add_argument("--seed", type=Path, help="seed JSON file (default: the packaged demo seed)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help=f"full-access API key (default {DEFAULT_API_KEY})")
    parser.add_argument(
        "--auditor-key", default=DEFAULT_AUDITOR_KEY, help=f"read-only API key (default {DEFAULT_AUDITOR_KEY})"
    )
    parser.add_argument(
        "--rate-limit-per-minute",
        type=int,
        default=500,
        help="calls per API key per 60 s before 429, like a manager's default (0 = off)",
    )
    return parser.parse_args(argv)


async def serve(sandbox: Sandbox, host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM."""
    runner = web.AppRunner(create_app(sandbox), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=1024).start()
    for address in runner.addresses:
        print(f"wsbridge-sandbox listening on http://{address[0]}:{address[1]}/api", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``wsbridge-sandbox``."""
    args = parse_args(argv)
    try:
        sandbox = Sandbox(
            read_seed(args.seed),
            Keys(full=args.api_key, auditor=args.auditor_key),
            rate_limit_per_minute=args.rate_limit_per_minute or None,
        )
    except (OSError, ValueError, SeedError) as error:
        sys.exit(f"wsbridge-sandbox: cannot load the seed: {error}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sandbox, args.host, args.port))


if __name__ == "__main__":
    main()
