"""``wsbridge coverage``: one JSON line per running instance, a summary table and progress on a terminal."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import orjson

from wsbridge.consumer import event_loop
from wsbridge.consumer.coverage import Coverage, CoverageWalk
from wsbridge.consumer.settings import LogFormat, Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_command(commands: Any) -> None:
    """Register ``coverage`` on the top-level subparsers."""
    coverage = commands.add_parser("coverage", help="running EC2 instances against Workload Security protection")
    coverage.add_argument("--accounts", nargs="+", default=[], help="account ids (default: the daemon's own)")
    coverage.add_argument("--regions", nargs="+", default=[], help="regions (default: the configured region)")
    coverage.set_defaults(command=_command)


def _command(args: Any) -> int:
    from wsbridge.consumer.logs import configure_logging

    settings = load_settings(queue_url="coverage")
    configure_logging(LogFormat.CONSOLE, "warning")
    return event_loop.run(_coverage(settings, _split(args.accounts), _split(args.regions)), settings.event_loop)


def _split(values: list[str]) -> list[str]:
    return [item for value in values for item in value.split(",") if item]


async def _coverage(settings: Settings, accounts: list[str], regions: list[str]) -> int:
    from aiobotocore.session import get_session

    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.aws_roles import AssumeRoleFailed
    from wsbridge.consumer.daemon import resolve_api_key, workload_security_client

    status = EXIT_OK
    counts: Counter[tuple[str, str, Coverage]] = Counter()
    async with AwsClients(settings) as aws:
        ws = workload_security_client(settings, await resolve_api_key(settings, aws))
        if ws is None:
            print("wsbridge: coverage needs WSBRIDGE_WS_URL and a WS API key", file=sys.stderr)
            return EXIT_USAGE
        async with ws:
            walk = CoverageWalk(aws, ws, _progress)
            for account in accounts or [await aws.own_account()]:
                for region in regions or [str(get_session().get_config_variable("region"))]:
                    try:
                        async for item in walk.instances(account, region):
                            counts[(account, region, item.coverage)] += 1
                            _print(item.as_json())
                    except AssumeRoleFailed as error:
                        _print({"account": account, "region": region, "error": str(error)})
                        status = EXIT_FAILED
    if sys.stderr.isatty():
        print("\r" + _table(counts), file=sys.stderr)
    return status


def _progress(account: str, region: str, seen: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{account} {region}: {seen} running instances judged", end="", file=sys.stderr, flush=True)


def _table(counts: Counter[tuple[str, str, Coverage]]) -> str:
    states = list(Coverage)
    header = f"{'account':<14}{'region':<16}" + "".join(f"{state.value:>18}" for state in states)
    rows = [header]
    for account, region in dict.fromkeys((account, region) for account, region, _ in counts):
        cells = "".join(f"{counts[(account, region, state)]:>18}" for state in states)
        rows.append(f"{account:<14}{region:<16}{cells}")
    return "\n".join(rows)


def _print(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.flush()
