"""structlog set-up: JSON lines in production, a console renderer on a TTY.

A log sink that fails (a closed pipe, a terminal gone) never stops the daemon: the write is dropped
and counted in ``wsbridge_log_write_failures_total``.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import orjson
import structlog

from wsbridge.consumer import metrics
from wsbridge.consumer.console_line import shorten_message_line
from wsbridge.consumer.settings import LogFormat


class DroppingLogger:
    """Writes each rendered line to ``stream``; a write that raises is dropped and counted."""

    def __init__(self, stream: IO[Any], newline: Any) -> None:
        self._stream = stream
        self._newline = newline

    def msg(self, message: Any) -> None:
        """Write one line (``str`` or ``bytes``, as the stream takes); never raises."""
        try:
            self._stream.write(message + self._newline)
            self._stream.flush()
        except (OSError, ValueError):
            metrics.LOG_WRITE_FAILURES.inc()

    log = debug = info = warn = warning = error = critical = exception = fatal = failure = msg


def dropping_factory(stream: IO[Any], newline: Any) -> Any:
    """A structlog logger factory of :class:`DroppingLogger` on ``stream``."""

    def factory(*args: Any) -> DroppingLogger:
        return DroppingLogger(stream, newline)

    return factory


def configure_logging(log_format: LogFormat = LogFormat.AUTO, level: str = "info") -> None:
    """Configure structlog once for the process (idempotent)."""
    use_console = log_format is LogFormat.CONSOLE or (log_format is LogFormat.AUTO and sys.stderr.isatty())
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: list[structlog.typing.Processor]
    if use_console:
        renderer = [shorten_message_line, structlog.dev.ConsoleRenderer()]
        factory = dropping_factory(sys.stderr, "\n")
    else:
        renderer = [
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ]
        factory = dropping_factory(sys.stderr.buffer, b"\n")
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
