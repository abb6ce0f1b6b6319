"""The store behind duplicate suppression and action coalescing: claim, complete, release, with expiry.

A key moves from absent to in progress (claimed, with a lease that expires on its own, so a replica
that dies mid-work does not hold it forever) to done (for a time-to-live), or back to absent
(released). The in-memory store serves one process; the DynamoDB store shares the keys between
replicas and restarts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import ClassVar


class Claim(StrEnum):
    """Result of claiming a key."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    TAKEN_OVER = "taken_over"
    """Taken, from a holder whose in-progress claim lapsed (it died or hung mid-work)."""

    @property
    def taken(self) -> bool:
        """Whether the caller now holds the key (NEW or TAKEN_OVER)."""
        return self in (Claim.NEW, Claim.TAKEN_OVER)


class StateStoreError(Exception):
    """The store could not be reached or answered unexpectedly; the work is retried later."""


class DedupeStore(ABC):
    """Keys move NEW -> in progress (claimed) -> done (completed) or back to absent (released)."""

    in_process: ClassVar[bool] = False
    """The store answers without I/O: a message's keys are asked one after another, not at once."""

    @abstractmethod
    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        """Take the key for ``ttl_seconds`` if nobody holds it; NEW when taken (TAKEN_OVER when a lapsed
        in-progress claim was taken over, where the store can tell), else its current state."""

    @abstractmethod
    async def complete(self, key: str, ttl_seconds: float) -> None:
        """Mark a claimed key done for ``ttl_seconds`` (0 forgets it)."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Give up a claim (the work failed and will be retried)."""
