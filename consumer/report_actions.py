"""An action that reports instead of changing anything: the CVE coverage gap.

It is planned like any other action, so ``replay``, dry run and the canonical log line show it,
and the executor counts it at most once per coalescing window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import structlog

from wsbridge.consumer import metrics
from wsbridge.consumer.actions import Action

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services

log = structlog.get_logger("wsbridge.report")


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
