"""Scans on one computer through run-now scheduled tasks (API v1 has no per-computer scan call).

A task is created with ``runNow: true`` and handed to the cleanup lane to be deleted when the rate
budget has spare room (see :mod:`~wsbridge.consumer.workload_security.cleanup`). Creation is made safe to retry: before
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
import random
import re
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import structlog

from wsbridge.consumer.slots import waiting
from wsbridge.consumer.workload_security.cleanup import TaskCleanup
from wsbridge.consumer.workload_security.computers import expand
from wsbridge.consumer.workload_security.errors import ScanTimeoutError
from wsbridge.consumer.workload_security.ips import ips_assignments
from wsbridge.consumer.workload_security.models import IpsAssignments, ScheduledTask
from wsbridge.consumer.workload_security.search import search_filter, search_pages, string_contains, string_equals
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


RECOMMENDATION_TASK_PREFIX = "wsbridge recommendation scan computer "
"""The start of the name of every recommendation scan task wsbridge creates."""

KEPT_TASKS_PAGE = 100
"""Page size of the searches for kept recommendation scan tasks."""


def _token() -> str:
    """Eight hex digits that make a task name unique (not a secret)."""
    return f"{random.getrandbits(32):08x}"


def recommendation_prefix(computer_id: int) -> str:
    """The start of the name of every recommendation scan task for ``computer_id``."""
    return f"{RECOMMENDATION_TASK_PREFIX}{computer_id} after "


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

    def __init__(
        self, transport: Transport, *, wait_seconds: float, poll_seconds: float, resume_window_seconds: float = 0.0
    ) -> None:
        """``resume_window_seconds``: how long after the start the tasks earlier processes kept are resumed
        (the coalescing window: later, a finding gets a scan of its own)."""
        self._transport = transport
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.resume_window_seconds = resume_window_seconds
        self._born = time.monotonic()
        self._inherited: asyncio.Future[dict[int, RecommendationScan]] | None = None
        self._own_names: set[str] | None = set()
        self._recommendations: dict[int, RecommendationScan] = {}
        self._waits: dict[tuple[int, int | None], _SharedWait] = {}
        self.cleanup = TaskCleanup(transport)

    async def start(
        self, kind: ScanKind, computer_id: int, *, last_scan: int | Unread | None = UNREAD, keep: bool = False
    ) -> ScheduledTask | None:
        """Create the run-now task, then hand it to the cleanup lane (unless ``keep``); ``None`` when the
        manager had already removed it.

        ``last_scan`` is the computer's date of the last scan of this kind (read first when not given).
        """
        if last_scan is UNREAD:
            last_scan = await self.last_scan(kind, computer_id)
        if kind == "recommendation":
            name = f"{recommendation_prefix(computer_id)}{last_scan or 0} {_token()}"
            if self._own_names is not None:
                self._own_names.add(name)
        else:
            name = f"wsbridge {kind} scan computer {computer_id} {_token()}"

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
            log.debug("ws_scan_started", kind=kind, computer_id=computer_id, task_id=None)
            return None
        task = ScheduledTask.model_validate(answer)
        log.debug("ws_scan_started", kind=kind, computer_id=computer_id, task_id=task.id)
        if not keep:
            self.cleanup.remove(task.id)
        return task

    async def start_recommendation(self, computer_id: int, last_scan: int | None) -> RecommendationScan:
        """Start a recommendation scan whose task stays until :meth:`finish_recommendation`."""
        task = await self.start("recommendation", computer_id, last_scan=last_scan, keep=True)
        scan = RecommendationScan(last_scan, [task.id] if task is not None else [])
        self._recommendations[computer_id] = scan
        return scan

    async def running_recommendation(self, computer_id: int, *, search: bool = True) -> RecommendationScan | None:
        """A recommendation scan started earlier on ``computer_id`` whose results were not applied yet
        (``None`` when there is none).

        With ``search`` (an earlier attempt at the work may have started one) its task is looked for in
        WS. Otherwise only this process's record is asked, and, within ``resume_window_seconds`` of the
        process's start, the tasks earlier processes kept (read once, by one search for them all).
        """
        if search:
            tasks = await self._kept_tasks(recommendation_prefix(computer_id))
            if computer_id in tasks:
                return tasks[computer_id]
        record = self._recommendations.get(computer_id)
        if record is not None and time.monotonic() - record.started < RECOMMENDATION_RECORD_SECONDS:
            return record
        if search or time.monotonic() - self._born > self.resume_window_seconds:
            return None
        if self._inherited is None:
            earlier = self._kept_tasks(RECOMMENDATION_TASK_PREFIX, exclude=self._own_names)
            self._inherited = asyncio.ensure_future(earlier)
        inherited = await asyncio.shield(self._inherited)
        self._own_names = None
        return inherited.pop(computer_id, None)

    async def _kept_tasks(self, prefix: str, *, exclude: set[str] | None = None) -> dict[int, RecommendationScan]:
        """Kept recommendation scan tasks whose name starts with ``prefix``, by computer."""
        pattern = re.compile(re.escape(RECOMMENDATION_TASK_PREFIX) + r"(\d+) after (\d+) ")
        dates: dict[int, list[int]] = {}
        ids: dict[int, list[int]] = {}
        async for page in search_pages(
            self._transport, "scheduledtasks", [string_contains("name", prefix)], page_size=KEPT_TASKS_PAGE
        ):
            for task in page:
                name = str(task.get("name", ""))
                match = pattern.match(name)
                if match is None or (exclude is not None and name in exclude):
                    continue
                computer_id = int(match.group(1))
                dates.setdefault(computer_id, []).append(int(match.group(2)))
                ids.setdefault(computer_id, []).append(int(task["ID"]))
        return {key: RecommendationScan(min(dates[key]) or None, ids[key]) for key in ids}

    async def finish_recommendation(self, computer_id: int, scan: RecommendationScan) -> None:
        """The results were applied: hand the scan's kept tasks to the cleanup lane and forget it."""
        for task_id in scan.task_ids:
            self.cleanup.remove(task_id)
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
