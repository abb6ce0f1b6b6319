"""The Macie handler: ``Macie Finding`` events, and the retired ``Macie Alert`` (skipped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Plan, Targets, Triage
from wsbridge.handlers._shared.handler import FindingHandler
from wsbridge.handlers.macie.exposure import find_readers
from wsbridge.handlers.macie.finding import MacieFinding, MaciePolicy, decide, read_event
from wsbridge.handlers.macie.plan import account_reads, answer, why_nothing
from wsbridge.handlers.macie.reads import NoSuchBucket

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

MACIE_ALERT = "Macie Alert"


class MacieHandler(FindingHandler[MacieFinding, MaciePolicy]):
    """``Macie Finding`` events: scans for the protected instances that can read the bucket, notices for the rest."""

    name = "macie"
    sources = {"Macie Finding": ("aws.macie",), MACIE_ALERT: ("aws.macie",)}
    policy_model = MaciePolicy

    def assess(self, event: Event) -> Triage:
        """Skip Macie Classic alerts; read and decide Macie findings."""
        if event.detail_type == MACIE_ALERT:
            alert = event.detail.get("alert-arn")
            targets = Targets(
                account=event.account or None,
                region=event.region or None,
                finding_id=alert if isinstance(alert, str) else None,
            )
            return Triage.skip("Macie Classic alert: Macie Classic is retired and its alerts name no bucket", targets)
        return decide(read_event(event), self.options)

    async def respond(self, finding: MacieFinding, context: HandlerContext) -> Plan:
        """Follow the bucket's readers to their instances (see :mod:`~wsbridge.handlers.macie.plan`)."""
        bucket = finding.bucket or ""
        reads = await account_reads(finding, context)
        try:
            exposure = await find_readers(bucket, finding.account, self.options, reads)
        except NoSuchBucket:
            return Plan.nothing(f"bucket {bucket} does not exist in account {finding.account}")
        return Plan.of(await answer(exposure, finding, reads, context), otherwise=why_nothing(exposure))
