"""The record of every API call received (``GET /_sandbox/calls``)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

MAX_CALLS = 200_000


class CallLog:
    """Calls in arrival order, each with a sequence number ``seq`` starting at 1."""

    def __init__(self, max_calls: int = MAX_CALLS) -> None:
        self._calls: deque[dict[str, Any]] = deque(maxlen=max_calls)
        self._seq = 0

    def start(self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str | None) -> dict[str, Any]:
        """Record a call as it arrives; the caller fills in ``status`` and ``answer`` when it is answered
        and lists in ``faults`` what it injected (``latency``, ``down``, ``throttle``, ``rate_limit``, ``error``)."""
        self._seq += 1
        call = {
            "seq": self._seq,
            "time": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "auth": auth,
            "status": None,
            "answer": None,
            "faults": [],
        }
        self._calls.append(call)
        return call

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        """Calls with ``seq`` above ``seq``."""
        return [call for call in self._calls if call["seq"] > seq]

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest call (0 when none)."""
        return self._seq

    def clear(self) -> None:
        """Forget all calls; numbering starts again at 1."""
        self._calls.clear()
        self._seq = 0
