"""Reading events for ``explain`` and ``replay``: a file holds one event, a JSON array, or JSON lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson


def read_bodies(paths: Sequence[str]) -> Iterator[tuple[str, bytes | None, str | None]]:
    """Yield (origin, message body, None) per event, or (origin, None, error) for an unreadable file.

    Reads stdin when no path (or ``-``) is given.
    """
    for path in paths or ["-"]:
        if path == "-":
            data = sys.stdin.buffer.read()
            origin = "<stdin>"
        else:
            origin = path
            try:
                data = Path(path).read_bytes()
            except OSError as error:
                yield origin, None, f"cannot read {path}: {error.strerror}"
                continue
        yield from ((origin, body, None) for body in split_events(data))


def split_events(data: bytes) -> Iterator[bytes]:
    """One body per event: a JSON array is split, JSON lines are split, anything else is one body."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        lines = [line for line in data.splitlines() if line.strip()]
        if len(lines) > 1 and _all_json(lines):
            yield from lines
        elif data.strip():
            yield data
        return
    if isinstance(document, list) and document and all(isinstance(item, dict) for item in document):
        yield from (orjson.dumps(item) for item in document)
    else:
        yield data


def _all_json(lines: list[bytes]) -> bool:
    try:
        for line in lines:
            orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True
