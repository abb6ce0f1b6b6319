"""The ``wsbridge`` command: run | check | handlers | explain | replay | waf-audit | dlq | coverage."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import orjson

from wsbridge.consumer import coverage_command, dlq, event_loop
from wsbridge.consumer.dispatch import Registry, RegistryError
from wsbridge.consumer.handler import Triage
from wsbridge.consumer.inputs import read_bodies
from wsbridge.consumer.logs import configure_logging
from wsbridge.consumer.metrics import package_version
from wsbridge.consumer.pipeline import Assessment, assess
from wsbridge.consumer.settings import LogFormat, Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m consumer``."""
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except (SettingsError, RegistryError) as error:
        print(f"wsbridge: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wsbridge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"wsbridge {package_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    commands.add_parser("run", help="run the daemon").set_defaults(command=_run)
    commands.add_parser("check", help="validate settings and reach SQS and the WS API").set_defaults(command=_check)
    commands.add_parser("handlers", help="list detail-type -> handler").set_defaults(command=_handlers)
    explain = commands.add_parser("explain", help="offline: what would happen to these events")
    explain.add_argument("files", nargs="*", help="event files (one event, a JSON array or JSON lines)")
    explain.set_defaults(command=_explain)
    replay = commands.add_parser("replay", help="run events through the pipeline against WS and AWS")
    replay.add_argument("--dry-run", action="store_true", help="plan only; execute nothing")
    replay.add_argument("files", nargs="*", help="event files (one event, a JSON array or JSON lines)")
    replay.set_defaults(command=_replay)
    audit = commands.add_parser("waf-audit", help="WAF coverage audit: one JSON line per front door, then a summary")
    audit.add_argument("--dry-run", action="store_true", help="report only, even with --apply (the default)")
    audit.add_argument("--apply", action="store_true", help="add the recommended rule groups to the web ACLs")
    audit.set_defaults(command=_waf_audit)
    dlq.add_commands(commands)
    coverage_command.add_command(commands)
    return parser


def _offline_settings() -> Settings:
    """Settings for commands that need no queue."""
    return load_settings(queue_url=os.environ.get("WSBRIDGE_QUEUE_URL") or "offline")


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    from wsbridge.consumer.daemon import serve
    from wsbridge.consumer.settings import StartupError

    try:
        event_loop.run(serve(settings), settings.event_loop)
    except StartupError as error:
        print(f"wsbridge: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(LogFormat.CONSOLE, "warning")
    from wsbridge.consumer.checks import run_checks

    results = event_loop.run(run_checks(settings), settings.event_loop)
    for name, problem in results:
        print(f"{'ok' if problem is None else 'FAIL':4} {name}{'' if problem is None else ': ' + problem}")
    return EXIT_OK if all(problem is None for _, problem in results) else EXIT_FAILED


def _handlers(args: argparse.Namespace) -> int:
    from wsbridge.consumer.daemon import handler_registry

    for entry in handler_registry(_offline_settings()).registrations():
        print(f"{entry.detail_type} -> {entry.handler} ({entry.target}; sources: {', '.join(entry.sources)})")
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    from wsbridge.consumer.daemon import handler_registry

    settings = _offline_settings()
    registry: Registry = handler_registry(settings)
    status = EXIT_OK
    for _origin, body, error in read_bodies(args.files):
        if body is None:
            status = EXIT_FAILED
            assessment = Assessment(None, None, Triage.reject(error or "unreadable input"))
        else:
            assessment = assess(body, registry, settings.unknown_detail_type)
        _print_json(assessment.as_json())
    return status


def _replay(args: argparse.Namespace) -> int:
    settings = load_settings(queue_url=os.environ.get("WSBRIDGE_QUEUE_URL") or "replay")
    configure_logging(settings.log_format, settings.log_level)
    from wsbridge.consumer.replay import replay

    return event_loop.run(replay(settings, args.files, dry_run=args.dry_run), settings.event_loop)


def _waf_audit(args: argparse.Namespace) -> int:
    settings = load_settings(queue_url=os.environ.get("WSBRIDGE_QUEUE_URL") or "waf-audit")
    configure_logging(settings.log_format, settings.log_level)
    from wsbridge.handlers.waf_audit.command import waf_audit

    return event_loop.run(waf_audit(settings, apply=args.apply, dry_run=args.dry_run), settings.event_loop)


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.flush()
