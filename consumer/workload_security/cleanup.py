"""Removing scan tasks that are no longer needed, without spending rate budget that findings need.

A run-now task is removed once its scan started (or, for a kept recommendation scan task, once its
results were applied). A manager removes run-once tasks itself after they ran and then answers the
delete with 404, so the deletes are housekeeping: they wait in a bounded lane and go one at a time only
while the rate limit has spare room (:meth:`Transport.has_spare_room`). At shutdown the
lane is flushed within the time left; what is left is logged (``ws_task_cleanup_left``).

Once :data:`TRUST_AFTER` deletes in a row were answered 404, the manager evidently removes run-once
tasks itself: from then on only one task in :data:`CHECK_EVERY` is still deleted, to notice a change,
and the others are left to the manager (``ws_task_cleanup_left_to_manager`` in the log). A delete
that finds its task (2xx) ends that: every task is deleted again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import structlog

from wsbridge.consumer.workload_security.errors import NotFoundError, WorkloadSecurityError
from wsbridge.consumer.workload_security.transport import Transport

log = structlog.get_logger(__name__)

MAX_PENDING = 10_000
"""Deletes waiting at most; beyond it the oldest is given up (its task stays in WS, logged)."""

IDLE_CHECK_SECONDS = 0.5
"""How often a waiting lane looks for spare room."""

LEFT_LOGGED = 50
"""How many task IDs of those left at shutdown the log names."""

TRUST_AFTER = 20
"""Deletes in a row answered 404 after which the manager is trusted to remove run-once tasks itself."""

CHECK_EVERY = 20
"""While the manager is trusted, one task in this many is still deleted."""


class TaskCleanup:
    """A bounded lane of scheduled-task deletes that yields to every other call."""

    def __init__(self, transport: Transport, *, max_pending: int = MAX_PENDING) -> None:
        self._transport = transport
        self._max_pending = max_pending
        self._pending: deque[int] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False
        self._deleting = False
        self._found_removed = 0
        self._since_trusted = 0
        self.left_to_manager = 0
        """Tasks not deleted because the manager was trusted to remove them."""

    @property
    def pending(self) -> list[int]:
        """The task IDs waiting to be deleted, oldest first."""
        return list(self._pending)

    @property
    def trusts_manager(self) -> bool:
        """Whether the manager is trusted to remove run-once tasks itself (see the module's notes)."""
        return self._found_removed >= TRUST_AFTER

    def remove(self, task_id: int) -> None:
        """Delete the task when the budget has spare room (or leave it to a trusted manager)."""
        if self.trusts_manager:
            self._since_trusted += 1
            if self._since_trusted % CHECK_EVERY:
                self.left_to_manager += 1
                return
        if len(self._pending) >= self._max_pending:
            log.warning("ws_task_cleanup_dropped", task_id=self._pending.popleft())
        self._pending.append(task_id)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._run())

    async def flush(self, within_seconds: float) -> None:
        """Delete what is pending now, within ``within_seconds``, then log what is left."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(within_seconds, 0.0)):
                await self._stop_worker()
                while self._pending:
                    await self._delete_first()
        if self._pending:
            left = list(self._pending)
            log.warning("ws_task_cleanup_left", count=len(left), task_ids=left[:LEFT_LOGGED])

    async def close(self) -> None:
        """Stop sending; what is pending stays (see :meth:`flush`)."""
        await self._stop_worker()

    async def _run(self) -> None:
        while self._pending and not self._stopping:
            if not await self._transport.has_spare_room():
                await asyncio.sleep(IDLE_CHECK_SECONDS)
                continue
            await self._delete_first()

    async def _stop_worker(self) -> None:
        """Stop the worker; a delete it already sent is awaited, so that it is not sent twice."""
        worker = self._worker
        if worker is not None and not worker.done():
            self._stopping = True
            if not self._deleting:
                worker.cancel()
            try:
                await asyncio.wait({worker})
            finally:
                self._stopping = False
                worker.cancel()
        self._worker = None

    async def _delete_first(self) -> None:
        """Delete the oldest pending task; it leaves the lane only once its delete was answered."""
        task_id = self._pending[0]
        self._deleting = True
        try:
            await self._delete(task_id)
        finally:
            self._deleting = False
        if self._pending and self._pending[0] == task_id:
            self._pending.popleft()

    async def _delete(self, task_id: int) -> None:
        try:
            await self._transport.request("delete_scheduled_task", "DELETE", f"/scheduledtasks/{task_id}")
        except NotFoundError:
            self._found_removed += 1
            if self._found_removed == TRUST_AFTER:
                log.info("ws_task_cleanup_left_to_manager", deletes_answered_404=TRUST_AFTER, check_every=CHECK_EVERY)
            return
        except WorkloadSecurityError as error:
            log.warning("ws_task_cleanup_failed", task_id=task_id, error=str(error))
            return
        if self.trusts_manager:
            log.info("ws_task_cleanup_resumed", task_id=task_id, left_to_manager=self.left_to_manager)
        self._found_removed = 0
        self._since_trusted = 0
