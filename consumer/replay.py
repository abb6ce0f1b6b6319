"""``wsbridge replay``: events from files through the full pipeline, one JSON line per event."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import orjson

from wsbridge.consumer.daemon import runtime
from wsbridge.consumer.inputs import read_bodies
from wsbridge.consumer.pipeline import OutcomeKind
from wsbridge.consumer.settings import Settings


async def replay(settings: Settings, files: Sequence[str], *, dry_run: bool) -> int:
    """Process each event; exit 1 if any ended in retry or dead-letter."""
    status = 0
    async with runtime(settings, dry_run=dry_run or settings.dry_run) as rt:
        for origin, body, error in read_bodies(files):
            line: dict[str, Any]
            if body is None:
                line = {"origin": origin, "outcome": OutcomeKind.DEAD_LETTER.value, "reason": error}
                status = 1
            else:
                outcome = await rt.pipeline.process(body)
                line = {
                    "origin": origin,
                    **outcome.assessment.as_json(),
                    "outcome": outcome.kind.value,
                    "reason": outcome.reason,
                    "actions": [executed.as_json() for executed in outcome.actions],
                }
                if outcome.kind in (OutcomeKind.RETRY, OutcomeKind.DEAD_LETTER):
                    status = 1
            sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
            sys.stdout.flush()
    return status
