"""``python -m devstack``: the local stack (LocalStack, moto, WS sandbox) for ``make run`` and ``make test``."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from devstack import env, foreground, run_summary, samples, stack, waf_demo
from devstack.bootstrap import session
from devstack.errors import StackError
from devstack.settings import REGION, StackSettings
from devstack.settings import load as load_settings


def cmd_up(settings: StackSettings, args: argparse.Namespace) -> int:
    """Start the stack (idempotent) and write ``.stack/env``."""
    started: list[str] = []
    try:
        stack.up(settings, started)
    finally:
        stack.say(f"started by this call: {', '.join(started) or 'nothing'}")
    return 0


def cmd_down(settings: StackSettings, args: argparse.Namespace) -> int:
    """Stop what ``up`` started."""
    if not stack.down(settings):
        stack.say("nothing to stop")
    return 0


def cmd_status(settings: StackSettings, args: argparse.Namespace) -> int:
    """Print each component's state; exit 1 when one is not running."""
    states = stack.status(settings)
    for name, state in states.items():
        print(f"{name:<10} {state}")
    return 0 if all(state.startswith("running") for state in states.values()) else 1


def cmd_test(settings: StackSettings, args: argparse.Namespace) -> int:
    """Bring the stack up, run the command in its environment, stop what this call started.

    The checkout is put on ``PYTHONPATH`` so that tests can import ``devstack``.
    """
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise StackError("usage: python -m devstack test -- COMMAND [ARG ...]")
    started: list[str] = []
    try:
        result = stack.up(settings, started)
        pythonpath = os.pathsep.join(filter(None, [str(settings.root), os.environ.get("PYTHONPATH")]))
        environment = {**os.environ, **result.environment, "PYTHONPATH": pythonpath}
        return foreground.run_command(command, environment)
    except KeyboardInterrupt:
        return 130
    finally:
        stack.down(settings, only=started)


def daemon_command(settings: StackSettings) -> list[str]:
    """``.venv/bin/wsbridge run``, or the command in ``WSBRIDGE_STACK_DAEMON_COMMAND``."""
    override = os.environ.get("WSBRIDGE_STACK_DAEMON_COMMAND")
    return shlex.split(override) if override else [str(settings.venv_bin / "wsbridge"), "run"]


def cmd_run(settings: StackSettings, args: argparse.Namespace) -> int:
    """Stack, daemon, sample findings, a summary once they settle; stream the daemon's output until Ctrl-C."""
    started: list[str] = []
    daemon = None
    try:
        result = stack.up(settings, started)
        daemon_env = {**os.environ, **result.environment}
        daemon_env.setdefault("WSBRIDGE_HANDLER_CONFIG", str(settings.root / "config" / "handlers.demo.toml"))
        if sys.stdout.isatty():
            daemon_env.setdefault("WSBRIDGE_LOG_FORMAT", "console")
        daemon = foreground.start_daemon(daemon_command(settings), daemon_env)
        ready = foreground.wait_ready(daemon, f"http://127.0.0.1:{settings.metrics_port}")
        stack.say(f"daemon ready ({ready})")
        metrics_url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
        baseline = run_summary.read(metrics_url) or run_summary.Counts()
        events = samples.demo_events(json.loads(result.environment["WSBRIDGE_DEMO_INSTANCES"]))
        samples.put_events(session().client("events"), events)
        account = session().client("sts").get_caller_identity()["Account"]
        queue_url = result.environment["WSBRIDGE_QUEUE_URL"]
        waf_demo.send_scheduled_audit(session().client("sqs"), queue_url, account, REGION)
        stack.say(
            f"sent {len(events)} sample findings through EventBridge and one firing of the WAF audit schedule "
            f"{waf_demo.WAF_AUDIT_RULE}. Watch the metrics at "
            f"{metrics_url} and the WS calls at "
            f"{settings.sandbox_url}/_sandbox/calls; notifications land in the queue "
            f"{result.environment['WSBRIDGE_STACK_NOTIFICATIONS_URL']}"
        )
        expected = len(events) + 1
        stack.show(run_summary.render(run_summary.wait_settled(daemon, metrics_url, baseline, expected), expected))
        stack.say("the daemon keeps running; Ctrl-C stops it and everything this run started")
        return foreground.exit_code(daemon.wait())
    except KeyboardInterrupt:
        return 130
    finally:
        try:
            if daemon is not None:
                foreground.stop_daemon(daemon)
        finally:
            stack.down(settings, only=started)


def cmd_send(settings: StackSettings, args: argparse.Namespace) -> int:
    """Put events on the bus: the given files, or the demo samples."""
    for name, value in (env.load() if settings.env_file.is_file() else {}).items():
        os.environ.setdefault(name, value)
    if args.files:
        documents = [document for path in args.files for document in samples.read_events(path)]
        events = [event for event in documents if isinstance(event, dict) and "detail-type" in event]
        if len(events) < len(documents):
            stack.say(f"skipped {len(documents) - len(events)} objects that are not EventBridge envelopes")
    else:
        events = samples.demo_events(json.loads(os.environ.get("WSBRIDGE_DEMO_INSTANCES", "{}")))
    ids = samples.put_events(session().client("events"), events)
    stack.say(f"put {len(ids)} events on the default event bus")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = top.add_subparsers(dest="name", required=True)
    commands.add_parser("up", help="start (idempotently) and bootstrap the stack, write .stack/env")
    commands.add_parser("down", help="stop what `up` started")
    commands.add_parser("status", help="show which components run")
    commands.add_parser("run", help="stack + daemon + sample findings and their summary, until Ctrl-C")
    test = commands.add_parser("test", help="run a command against the stack: test -- CMD ...")
    test.add_argument("command", nargs=argparse.REMAINDER)
    send = commands.add_parser("send", help="put events (files, '-' for stdin) on the event bus")
    send.add_argument("files", nargs="*", type=Path, help="event files; the demo samples when none")
    return top


HANDLERS = {
    "up": cmd_up,
    "down": cmd_down,
    "status": cmd_status,
    "run": cmd_run,
    "test": cmd_test,
    "send": cmd_send,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m devstack``."""
    args = parser().parse_args(argv)
    foreground.interrupt_on_sigterm()
    try:
        return HANDLERS[args.name](load_settings(), args)
    except (StackError, BotoCoreError, ClientError, OSError, ValueError) as error:
        print(f"devstack: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
