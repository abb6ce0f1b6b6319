"""Macie findings about S3 buckets: reading and deciding.

:func:`decide` is shared with the Security Hub (ASFF) path: a sensitive-data or policy finding that
names a bucket and passes the policy is handled (:mod:`~wsbridge.handlers.macie.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import Node
from wsbridge.handlers._shared.findings import targets_of, version_key
from wsbridge.handlers._shared.policy import Policy
from wsbridge.handlers._shared.severity import below_label

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

BUCKET = "AwsS3Bucket"
FindingKind = Literal["sensitive_data", "policy"]
KIND_PREFIXES: dict[FindingKind, str] = {"sensitive_data": "SensitiveData:", "policy": "Policy:"}


class MaciePolicy(Policy):
    """The ``[macie]`` table."""

    include_samples: bool = Field(False, description="Act on generated sample findings")
    include_archived: bool = Field(False, description="Act on archived (suppressed) findings")
    min_severity: Literal["LOW", "MEDIUM", "HIGH"] = Field("LOW", description="Skip findings below this severity")
    finding_types: tuple[FindingKind, ...] = Field(
        ("sensitive_data", "policy"),
        strict=False,
        description="Finding types acted on: `sensitive_data` (SensitiveData:*), `policy` (Policy:*)",
    )
    expand_account_root: bool = Field(
        True,
        description="A bucket-policy grant to the account root reaches the account's roles "
        "whose identity policies allow reading the bucket",
    )
    search_identity_policies: bool = Field(
        False,
        description="Also look for roles whose identity policies allow reading the bucket "
        "whatever the bucket policy says (reads every role's policies)",
    )


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


def kind_of(finding_type: str) -> FindingKind | None:
    """``sensitive_data`` or ``policy`` for a Macie finding type, ``None`` for any other."""
    return next((kind for kind, prefix in KIND_PREFIXES.items() if finding_type.startswith(prefix)), None)


def decide(finding: MacieFinding, policy: MaciePolicy, *, explicit: bool = False) -> Triage:
    """Handle sensitive-data and policy findings that name a bucket and pass the policy."""
    targets = finding.targets()
    what = f"Macie {finding.finding_type or 'finding'}"
    kind = kind_of(finding.finding_type)
    if finding.finding_type and kind is None:
        return Triage.skip(f"{what} findings are not handled", targets)
    if finding.bucket is None:
        return Triage.skip(f"{what} names no S3 bucket", targets)
    if not explicit:
        if kind is not None and kind not in policy.finding_types:
            return Triage.skip(f"{what}: {kind} findings are off (finding_types)", targets)
        if finding.archived and not policy.include_archived:
            return Triage.skip(f"{what} is archived (include_archived = false)", targets)
        if finding.sample and not policy.include_samples:
            return Triage.skip(f"{what} is a sample finding (include_samples = false)", targets)
        if below_label(finding.severity, policy.min_severity):
            floor = policy.min_severity
            return Triage.skip(f"{what} severity {finding.severity} is below min_severity {floor}", targets)
    reason = f"{what} on bucket {finding.bucket} (severity {finding.severity or 'unknown'})"
    return Triage.handle(reason, targets, finding.key).about(finding)


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
