"""Actions that report instead of changing anything: a notice for the log, and the CVE coverage gap.

They are planned like any other action, so ``replay``, dry run and the canonical log line show them,
and the executor sends them at most once per coalescing window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import structlog

from wsbridge.consumer import metrics
from wsbridge.consumer.actions import Action

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services

log = structlog.get_logger("wsbridge.notices")


@dataclass(frozen=True, slots=True)
class LogNotice(Action):
    """A notification for people when no SNS topic or webhook is configured: written to the log as a warning."""

    kind: ClassVar[str] = "log_notice"
    topic: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None

    @property
    def coalesce_key(self) -> str | None:
        """Notices with the same key are logged once per window."""
        return f"{self.kind}:{self.dedupe_key}" if self.dedupe_key else None

    async def run(self, services: Services) -> None:
        """Write the notice."""
        log.warning("notice", topic=self.topic, subject=self.subject, details=self.details)


@dataclass(frozen=True, slots=True)
class RecordUncoveredCve(Action):
    """Count a vulnerability finding whose CVE no IPS rule covers (``wsbridge_uncovered_cves_total``)."""

    kind: ClassVar[str] = "uncovered_cve"
    cve: str
    instance_id: str
    finding_id: str | None = None

    @property
    def coalesce_key(self) -> str:
        """One count per finding, instance and CVE, however often the finding is re-planned."""
        return f"{self.kind}:{self.finding_id}:{self.instance_id}:{self.cve}"

    async def run(self, services: Services) -> None:
        """Increment the counter and log the gap."""
        metrics.UNCOVERED_CVES.inc()
        log.warning("uncovered_cve", cve=self.cve, instance_id=self.instance_id, finding_id=self.finding_id)
