"""Macie findings about S3 buckets: reading and deciding.

:func:`decide` is shared with the Security Hub (ASFF) path. No responder acts on Macie findings
yet, so a finding that passes every filter is skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import Node
from wsbridge.handlers._shared.findings import targets_of, version_key
from wsbridge.handlers._shared.policy import Policy

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

NOT_IMPLEMENTED = "no Macie responder is built yet, so wsbridge does nothing with Macie findings"
BUCKET = "AwsS3Bucket"
HANDLED_KINDS = ("SensitiveData:", "Policy:")


class MaciePolicy(Policy):
    """The ``[macie]`` table."""

    include_samples: bool = Field(False, description="Act on generated sample findings")
    include_archived: bool = Field(False, description="Act on archived (suppressed) findings")


@dataclass(frozen=True, slots=True)
class MacieFinding:
    """The parts of a Macie finding the decision needs."""

    finding_id: str
    account: str
    region: str
    finding_type: str
    severity: str | None
    bucket: str | None
    sample: bool
    archived: bool
    updated_at: str

    @property
    def key(self) -> str:
        """``macie:<account>:<region>:<finding id>:<updatedAt>``."""
        return version_key("macie", self)

    def targets(self) -> Targets:
        """The explain targets of this finding."""
        return targets_of(self, bucket=self.bucket, resource_type=BUCKET)


def decide(finding: MacieFinding, policy: MaciePolicy, *, explicit: bool = False) -> Triage:
    """Sensitive-data and policy findings that name a bucket and pass the policy; skipped: no responder yet."""
    targets = finding.targets()
    what = f"Macie {finding.finding_type or 'finding'}"
    if finding.finding_type and not finding.finding_type.startswith(HANDLED_KINDS):
        return Triage.skip(f"{what} findings are not handled", targets)
    if finding.bucket is None:
        return Triage.skip(f"{what} names no S3 bucket", targets)
    if not explicit:
        if finding.archived and not policy.include_archived:
            return Triage.skip(f"{what} is archived (include_archived = false)", targets)
        if finding.sample and not policy.include_samples:
            return Triage.skip(f"{what} is a sample finding (include_samples = false)", targets)
    return Triage.skip(f"{what} on bucket {finding.bucket}: {NOT_IMPLEMENTED}", targets)


def read_event(event: Event) -> MacieFinding:
    """Read a native ``Macie Finding`` event; raises :class:`InvalidField` on wrong types."""
    detail = Node(event.detail, "detail")
    severity = detail.at("severity", "description").text()
    return MacieFinding(
        finding_id=detail.child("id").text(required=True) or "",
        account=detail.child("accountId").text() or event.account,
        region=detail.child("region").text() or event.region,
        finding_type=detail.child("type").text(required=True) or "",
        severity=severity.upper() if severity else None,
        bucket=detail.at("resourcesAffected", "s3Bucket", "name").text() or None,
        sample=detail.child("sample").flag(),
        archived=detail.child("archived").flag(),
        updated_at=detail.child("updatedAt").text() or event.time,
    )
