"""The event loop every command runs on: uvloop, or asyncio's own.

uvloop implements asyncio's event loop, its transports and its timers in C; the daemon spends less
CPU on each HTTP call with it. It is installed wherever it builds (not on Windows). Where it is not,
or with ``WSBRIDGE_EVENT_LOOP=asyncio``, asyncio's own loop runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")


class EventLoop(StrEnum):
    """The event loop implementation to run on."""

    UVLOOP = "uvloop"
    ASYNCIO = "asyncio"


def run(main: Coroutine[Any, Any, T], choice: EventLoop = EventLoop.UVLOOP) -> T:
    """Run ``main`` to completion on a new event loop, as :func:`asyncio.run` does."""
    if choice is EventLoop.UVLOOP:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def running_loop() -> EventLoop:
    """Which implementation the running loop is."""
    return EventLoop.UVLOOP if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else EventLoop.ASYNCIO
