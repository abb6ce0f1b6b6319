"""Retry timing: capped exponential backoff with full jitter, and ``Retry-After``."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry ``n`` (1-based) is uniform in ``[0, min(max_seconds, base_seconds * 2**(n-1))]``.

    A ``Retry-After`` from the server wins over the jitter, capped at ``retry_after_cap_seconds``.
    """

    base_seconds: float = 0.5
    max_seconds: float = 20.0
    retry_after_cap_seconds: float = 60.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def ceiling(self, retry: int) -> float:
        """Upper bound of the delay before retry ``retry``."""
        exponent = min(max(retry - 1, 0), 62)
        return min(self.max_seconds, self.base_seconds * 2.0**exponent)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry``."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap_seconds)
        return self.random() * self.ceiling(retry)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` when absent or invalid."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
