"""Garbage collection set for a long-running daemon that makes many short-lived objects.

Start-up leaves a large heap that never becomes garbage (modules, validators, the AWS service
models); with Python's defaults every full collection walks all of it again, and young objects are
examined every 700 allocations although reference counting frees almost all of them. Once the daemon
has started, that heap is frozen (collections no longer examine it) and young objects are examined
every :data:`YOUNG_COLLECTION_THRESHOLD` allocations.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_THRESHOLD = 50_000
"""Allocations (less deallocations) between collections of the youngest generation (Python's default: 700)."""


def settle_after_start_up() -> None:
    """Collect start-up's garbage, freeze what is left, and collect young objects less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
