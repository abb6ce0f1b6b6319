"""``wsbridge dlq list | show | redrive``: the dead-letter queue, found from the queue's RedrivePolicy."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from wsbridge.consumer import event_loop
from wsbridge.consumer.dead_letters import DeadLetter, DeadLetterQueue
from wsbridge.consumer.settings import LogFormat, Settings, load_settings

EXIT_OK, EXIT_FAILED = 0, 1
Work = Callable[[Settings, Any, DeadLetterQueue], Awaitable[int]]


def add_commands(commands: Any) -> None:
    """Register ``dlq`` and its subcommands on the top-level subparsers."""
    dlq = commands.add_parser("dlq", help="list, show and redrive dead-lettered messages")
    actions = dlq.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one JSON line per dead letter, without consuming it")
    listing.add_argument("--limit", type=int, default=None, help="list at most N messages")
    listing.set_defaults(command=lambda args: _run(_list(args.limit)))
    show = actions.add_parser("show", help="one message's body and what explain says of it today")
    show.add_argument("message_id")
    show.set_defaults(command=lambda args: _run(_show(args.message_id)))
    redrive = actions.add_parser("redrive", help="move messages back to the findings queue")
    chosen = redrive.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--all", action="store_true", help="every message in the DLQ")
    chosen.add_argument("message_ids", nargs="*", default=[], metavar="MESSAGE_ID")
    redrive.add_argument("--dry-run", action="store_true", help="count what would move; move nothing")
    redrive.set_defaults(command=lambda args: _run(_redrive(args.message_ids or None, args.dry_run)))


def _run(work: Work) -> int:
    from wsbridge.consumer.logs import configure_logging

    settings = load_settings()
    configure_logging(LogFormat.CONSOLE, "warning")
    return event_loop.run(_with_queue(settings, work), settings.event_loop)


async def _with_queue(settings: Settings, work: Work) -> int:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.settings import StartupError
    from wsbridge.consumer.settlement import dead_letter_queue_url

    async with AwsClients(settings) as aws:
        sqs = await aws.client("sqs")
        try:
            dlq_url = await dead_letter_queue_url(settings, sqs)
        except StartupError as error:
            print(f"wsbridge: {error}", file=sys.stderr)
            return EXIT_FAILED
        return await work(settings, sqs, DeadLetterQueue(sqs, dlq_url))


def _list(limit: int | None) -> Work:
    async def work(settings: Settings, sqs: Any, dlq: DeadLetterQueue) -> int:
        async with dlq.held(limit) as held:
            for message in held:
                _print(message.as_json())
        if sys.stderr.isatty():
            print(_summary(held), file=sys.stderr)
        return EXIT_OK

    return work


def _summary(messages: list[DeadLetter]) -> str:
    counts = Counter(message.reason for message in messages)
    lines = [f"{len(messages)} dead letter(s)"]
    lines += [f"{count:6}  {reason[:100]}" for reason, count in counts.most_common()]
    return "\n".join(lines)


def _show(message_id: str) -> Work:
    async def work(settings: Settings, sqs: Any, dlq: DeadLetterQueue) -> int:
        from wsbridge.consumer.daemon import handler_registry
        from wsbridge.consumer.pipeline import assess

        async with dlq.held() as held:
            found = [message for message in held if message.message_id == message_id]
        if not found:
            print(f"wsbridge: {message_id} is not in the dead-letter queue", file=sys.stderr)
            return EXIT_FAILED
        message = found[0]
        try:
            body: Any = orjson.loads(message.body)
        except orjson.JSONDecodeError:
            body = message.body
        explain = assess(message.body, handler_registry(settings), settings.unknown_detail_type).as_json()
        _print({**message.as_json(), "body": body, "explain": explain})
        return EXIT_OK

    return work


def _redrive(message_ids: list[str] | None, dry_run: bool) -> Work:
    async def work(settings: Settings, sqs: Any, dlq: DeadLetterQueue) -> int:
        from wsbridge.consumer.redrive import Redrive

        redrive = Redrive(sqs, settings.queue_url, dlq)
        if message_ids is None:
            result = await redrive.everything(dry_run=dry_run)
        else:
            result = await redrive.chosen(set(message_ids), dry_run=dry_run)
        _print(result.as_json(dry_run=dry_run))
        return EXIT_FAILED if result.problems else EXIT_OK

    return work


def _print(document: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(document) + b"\n")
    sys.stdout.flush()
