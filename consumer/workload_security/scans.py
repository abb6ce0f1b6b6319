"""Scans on one computer through run-now scheduled tasks (API v1 has no per-computer scan call).

A task is created with ``runNow: true`` and deleted right after (404 means the manager already
removed it, as it does with run-once tasks once they ran). Creation is made safe to retry: before
sending a create again, the client asks what the manager shows. The task, found by its unique name,
means the create took effect. When the manager already deleted it, the computer's scan date (read
before the create) having moved means the same. These reads are retried like any other; only when
neither shows is the create sent again, so a lost answer does not start a second scan.

Scan and apply are separate steps for recommendation scans, which can outlive a message's wait. The
task of a recommendation scan stays until its results were applied (a manager removes a run-once
task when its run ends); its name carries the computer and the scan date it must pass
(``wsbridge recommendation scan computer 7 after 1562702362438 …``). A message that comes back finds
that task (any replica), or this process's record of the scan, and only waits for and applies the
results instead of starting another scan.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import structlog

from wsbridge.consumer.slots import waiting
from wsbridge.consumer.workload_security.computers import expand
from wsbridge.consumer.workload_security.errors import NotFoundError, ScanTimeoutError, WorkloadSecurityError
from wsbridge.consumer.workload_security.ips import ips_assignments
from wsbridge.consumer.workload_security.models import IpsAssignments, ScheduledTask
from wsbridge.consumer.workload_security.search import search_filter, string_contains, string_equals
from wsbridge.consumer.workload_security.transport import Transport
from wsbridge.consumer.workload_security.verdict import ScanKind

log = structlog.get_logger(__name__)

TASK_TYPES: dict[ScanKind, tuple[str, str, dict[str, Any]]] = {
    "recommendation": ("scan-for-recommendations", "scanForRecommendationsTaskParameters", {}),
    "integrity": ("scan-for-integrity-changes", "scanForIntegrityChangesTaskParameters", {}),
    "malware": ("scan-for-malware", "scanForMalwareTaskParameters", {"timeout": "never"}),
}
"""Scan kind -> (task ``type``, parameters key, extra parameters)."""

SCAN_DATES: dict[ScanKind, tuple[str, str]] = {
    "integrity": ("integrityMonitoring", "lastIntegrityScan"),
    "malware": ("antiMalware", "lastManualScan"),
}
"""Scan kind -> (computer section, field) holding the date of the last such scan. Recommendation
scans use ``lastRecommendationScanDate`` of the IPS assignments."""


class Unread(Enum):
    """The scan date before a scan has not been read yet."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD

FIRST_POLL_SECONDS = 1.0
"""The first wait between polls for a recommendation scan's results; it doubles up to ``poll_seconds``."""

RECOMMENDATION_RECORD_SECONDS = 3600.0
"""How long this process remembers a recommendation scan it started (when WS no longer shows the task)."""


@dataclass(slots=True)
class RecommendationScan:
    """A recommendation scan started earlier: the scan date its results must pass, and its kept tasks."""

    newer_than: int | None
    task_ids: list[int] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _SharedWait:
    """One poll loop for a scan's results and how many messages wait on it."""

    task: asyncio.Future[IpsAssignments]
    waiters: int = 0


def recommendation_prefix(computer_id: int) -> str:
    """The start of the name of every recommendation scan task for ``computer_id``."""
    return f"wsbridge recommendation scan computer {computer_id} after "


def run_now_task(kind: ScanKind, computer_id: int, name: str) -> dict[str, Any]:
    """The body of a run-once, run-now task scanning one computer."""
    task_type, parameters_key, extra = TASK_TYPES[kind]
    return {
        "name": name,
        "type": task_type,
        "runNow": True,
        "scheduleDetails": {
            "recurrenceType": "none",
            "recurrenceCount": 1,
            "onceOnlyScheduleParameters": {"startTime": 0},
        },
        parameters_key: {"computerFilter": {"type": "computer", "computerID": computer_id}, **extra},
    }


class ScanRunner:
    """Starts scans and waits for recommendation scan results."""

    def __init__(self, transport: Transport, *, wait_seconds: float, poll_seconds: float) -> None:
        self._transport = transport
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self._recommendations: dict[int, RecommendationScan] = {}
        self._waits: dict[tuple[int, int | None], _SharedWait] = {}

    async def start(
        self, kind: ScanKind, computer_id: int, *, last_scan: int | Unread | None = UNREAD, keep: bool = False
    ) -> ScheduledTask | None:
        """Create the run-now task, then remove it (unless ``keep``); ``None`` when the manager had
        already removed it.

        ``last_scan`` is the computer's date of the last scan of this kind (read first when not given).
        """
        if last_scan is UNREAD:
            last_scan = await self.last_scan(kind, computer_id)
        if kind == "recommendation":
            name = f"{recommendation_prefix(computer_id)}{last_scan or 0} {secrets.token_hex(4)}"
        else:
            name = f"wsbridge {kind} scan computer {computer_id} {secrets.token_hex(4)}"

        async def already_created() -> dict[str, Any] | None:
            task = await self._task_named(name)
            if task is not None:
                return task
            if (await self.last_scan(kind, computer_id) or 0) > (last_scan or 0):
                return {}
            return None

        answer = await self._transport.request(
            "create_scheduled_task",
            "POST",
            "/scheduledtasks",
            body=run_now_task(kind, computer_id, name),
            reconcile=already_created,
        )
        if not answer:
            log.info("ws_scan_started", kind=kind, computer_id=computer_id, task_id=None)
            return None
        task = ScheduledTask.model_validate(answer)
        log.info("ws_scan_started", kind=kind, computer_id=computer_id, task_id=task.id)
        if not keep:
            await self._delete(task.id)
        return task

    async def start_recommendation(self, computer_id: int, last_scan: int | None) -> RecommendationScan:
        """Start a recommendation scan whose task stays until :meth:`finish_recommendation`."""
        task = await self.start("recommendation", computer_id, last_scan=last_scan, keep=True)
        scan = RecommendationScan(last_scan, [task.id] if task is not None else [])
        self._recommendations[computer_id] = scan
        return scan

    async def running_recommendation(self, computer_id: int) -> RecommendationScan | None:
        """A recommendation scan started earlier on ``computer_id`` whose results were not applied yet:
        its task in WS, else this process's record of it (``None`` when there is neither)."""
        prefix = recommendation_prefix(computer_id)
        pattern = re.compile(re.escape(prefix) + r"(\d+) ")
        answer = await self._transport.request(
            "search_scheduled_tasks",
            "POST",
            "/scheduledtasks/search",
            body=search_filter([string_contains("name", prefix)], max_items=100),
        )
        tasks = [
            (task, found)
            for task in (answer or {}).get("scheduledTasks") or []
            if (found := pattern.match(str(task.get("name", ""))))
        ]
        if tasks:
            newer_than = min(int(found.group(1)) for _, found in tasks) or None
            return RecommendationScan(newer_than, [int(task["ID"]) for task, _ in tasks])
        record = self._recommendations.get(computer_id)
        if record is not None and time.monotonic() - record.started < RECOMMENDATION_RECORD_SECONDS:
            return record
        return None

    async def finish_recommendation(self, computer_id: int, scan: RecommendationScan) -> None:
        """The results were applied: remove the scan's kept tasks and forget it."""
        for task_id in scan.task_ids:
            await self._delete(task_id)
        self._recommendations.pop(computer_id, None)

    async def last_scan(self, kind: ScanKind, computer_id: int) -> int | None:
        """The manager's date (ms) of the computer's last scan of this kind, ``None`` when never scanned."""
        if kind == "recommendation":
            return (await ips_assignments(self._transport, "computers", computer_id)).last_recommendation_scan_date
        section, field = SCAN_DATES[kind]
        answer = await self._transport.request(
            "get_computer", "GET", f"/computers/{computer_id}", params=expand(section)
        )
        value = ((answer or {}).get(section) or {}).get(field)
        return value if isinstance(value, int) else None

    async def wait_for_recommendations(
        self, computer_id: int, *, newer_than: int | None, just_started: bool = False
    ) -> IpsAssignments:
        """Poll the computer's IPS assignments until ``lastRecommendationScanDate`` passes ``newer_than``.

        Polls back off from :data:`FIRST_POLL_SECONDS`, doubling up to ``poll_seconds``; a scan
        ``just_started`` is not polled at once. Messages waiting for the same scan share one poll loop,
        which stops when the last of them stops waiting, and give their worker slots up meanwhile.
        """
        key = (computer_id, newer_than)
        shared = self._waits.get(key)
        if shared is None:
            shared = self._waits[key] = _SharedWait(
                asyncio.ensure_future(self._poll_recommendations(computer_id, newer_than, just_started))
            )
            shared.task.add_done_callback(lambda _: self._waits.pop(key, None))
        shared.waiters += 1
        try:
            async with waiting():
                return await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.task.done():
                shared.task.cancel()

    async def _poll_recommendations(
        self, computer_id: int, newer_than: int | None, just_started: bool
    ) -> IpsAssignments:
        deadline = time.monotonic() + self.wait_seconds
        interval = min(FIRST_POLL_SECONDS, self.poll_seconds)
        if just_started:
            await asyncio.sleep(interval)
            interval = min(2 * interval, self.poll_seconds)
        while True:
            current = await ips_assignments(self._transport, "computers", computer_id)
            if (current.last_recommendation_scan_date or 0) > (newer_than or 0):
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ScanTimeoutError(
                    f"no recommendation scan result for computer {computer_id} within {self.wait_seconds:g} s",
                    operation="run_recommendation_scan",
                    retryable=True,
                )
            await asyncio.sleep(min(interval, remaining))
            interval = min(2 * interval, self.poll_seconds)

    async def _task_named(self, name: str) -> dict[str, Any] | None:
        answer = await self._transport.request(
            "search_scheduled_tasks",
            "POST",
            "/scheduledtasks/search",
            body=search_filter([string_equals("name", name)], max_items=1),
        )
        tasks: list[dict[str, Any]] = (answer or {}).get("scheduledTasks") or []
        return tasks[0] if tasks else None

    async def _delete(self, task_id: int) -> None:
        try:
            await self._transport.request("delete_scheduled_task", "DELETE", f"/scheduledtasks/{task_id}")
        except NotFoundError:
            pass
        except WorkloadSecurityError as error:
            log.warning("ws_task_cleanup_failed", task_id=task_id, error=str(error))
