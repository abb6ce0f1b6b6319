"""Inspector2 vulnerability findings on EC2 instances: reading and deciding.

:func:`decide` works on an :class:`InspectorFinding`, read from the native ``Inspector2 Finding``
event or from a Security Hub (ASFF) copy, so both paths reach the same verdict and key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import InvalidField, Node
from wsbridge.handlers._shared.findings import targets_of
from wsbridge.handlers._shared.identifiers import arn_field, finding_key
from wsbridge.handlers._shared.policy import Policy
from wsbridge.handlers._shared.severity import below_label
from wsbridge.handlers._shared.times import canonical_time

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)
EC2_INSTANCE = "AWS_EC2_INSTANCE"
SeverityLabel = Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
AttackVector = Literal["network", "adjacent", "local", "physical"]
_VECTORS: dict[str, AttackVector] = {"N": "network", "A": "adjacent", "L": "local", "P": "physical"}


class InspectorPolicy(Policy):
    """The ``[inspector]`` table."""

    assign_to: Literal["policy", "computer"] = Field(
        "policy", description="Assign covering IPS rules to the computer's policy or to the computer"
    )
    network_reachability: Literal["skip", "recommendation-scan"] = Field(
        "skip", description="What to do with NETWORK_REACHABILITY findings"
    )
    min_severity: SeverityLabel = Field("INFORMATIONAL", description="Skip findings below this label")
    uncovered_notice_vectors: tuple[AttackVector, ...] = Field(
        ("network", "adjacent", "local", "physical"),
        strict=False,
        description="CVSS attack vectors whose uncovered CVEs get a notice (a CVE without a vector always does)",
    )
    protected_policies: tuple[str, ...] = Field(
        (),
        strict=False,
        description="WS policies (names or IDs) never modified: their computers get the rules assigned directly",
    )


@dataclass(frozen=True, slots=True)
class InspectorFinding:
    """The parts of an Inspector finding the decision needs, in Inspector2's vocabulary."""

    finding_id: str
    account: str
    region: str
    finding_type: str
    status: str
    severity: str | None
    resource_type: str
    instance_ids: tuple[str, ...]
    cves: tuple[str, ...]
    updated_at: str
    attack_vector: AttackVector | None = None

    @property
    def key(self) -> str:
        """``inspector:<finding ARN>:<updatedAt>:<status>``."""
        return finding_key("inspector", self.finding_id, canonical_time(self.updated_at), self.status)

    def targets(self) -> Targets:
        """The explain targets of this finding."""
        return targets_of(self, instance_ids=self.instance_ids, cves=self.cves, resource_type=self.resource_type)


def is_cve(vulnerability_id: str) -> bool:
    """Whether ``vulnerability_id`` is a CVE id (IPS rules list CVEs, not GHSA or vendor advisories)."""
    return bool(_CVE.fullmatch(vulnerability_id.strip()))


def attack_vector_of(vectors: list[str]) -> AttackVector | None:
    """The attack vector (``AV:`` metric) of the first CVSS vector string that has one."""
    for vector in vectors:
        for part in vector.split("/"):
            name, _, value = part.partition(":")
            if name == "AV" and value in _VECTORS:
                return _VECTORS[value]
    return None


def vulnerability_ids(primary: str | None, related: list[str]) -> tuple[str, ...]:
    """``primary`` when it is a CVE; otherwise (``GHSA-...``) ``primary`` followed by the related CVEs."""
    if primary is None:
        return ()
    if is_cve(primary):
        return (primary,)
    return tuple(dict.fromkeys([primary, *filter(is_cve, related)]))


def decide(finding: InspectorFinding, policy: InspectorPolicy, *, explicit: bool = False) -> Triage:
    """Handle active EC2 package findings (and reachability findings if the policy says so)."""
    targets = finding.targets()
    what = f"Inspector {finding.finding_type}"
    if finding.resource_type != EC2_INSTANCE or not finding.instance_ids:
        return Triage.skip(f"{what} is on a resource of type {finding.resource_type}, not an EC2 instance", targets)
    if finding.status != "ACTIVE":
        return Triage.skip(f"{what} is {finding.status}, not ACTIVE", targets)
    if not explicit and below_label(finding.severity, policy.min_severity):
        return Triage.skip(f"{what} severity {finding.severity} is below min_severity {policy.min_severity}", targets)
    on = ", ".join(finding.instance_ids)
    if finding.finding_type == "PACKAGE_VULNERABILITY":
        if not finding.cves:
            return Triage.reject(f"{what} names no vulnerability id", targets)
        if not any(map(is_cve, finding.cves)):
            ids = ", ".join(finding.cves)
            return Triage.skip(f"{what} {ids} is not a CVE id; IPS rules are listed by CVE", targets)
        cves = ", ".join(finding.cves)
        return Triage.handle(f"{what} {cves} on {on}: assign covering IPS rules", targets, finding.key).about(finding)
    if finding.finding_type == "NETWORK_REACHABILITY":
        if policy.network_reachability == "skip":
            return Triage.skip(f"{what} findings are skipped (network_reachability = skip)", targets)
        return Triage.handle(f"{what} on {on}: recommendation scan", targets, finding.key).about(finding)
    return Triage.skip(f"{what} findings are not handled", targets)


def read_event(event: Event) -> InspectorFinding:
    """Read a native ``Inspector2 Finding`` event; raises :class:`InvalidField` on wrong types."""
    detail = Node(event.detail, "detail")
    resources = detail.child("resources").items()
    if not resources:
        raise InvalidField("detail.resources is missing or empty")
    resource_type = resources[0].child("type").text(required=True) or ""
    instance_ids = tuple(
        resource.child("id").text(required=True) or ""
        for resource in resources
        if resource.child("type").text() == EC2_INSTANCE
    )
    package = detail.child("packageVulnerabilityDetails")
    vectors = [item.child("scoringVector").text() or "" for item in package.child("cvss").items()]
    vectors.append(detail.at("inspectorScoreDetails", "adjustedCvss", "scoringVector").text() or "")
    finding_arn = detail.child("findingArn").text(required=True) or ""
    return InspectorFinding(
        finding_id=finding_arn,
        account=detail.child("awsAccountId").text() or event.account,
        region=arn_field(finding_arn, 3) or event.region,
        finding_type=detail.child("type").text(required=True) or "",
        status=detail.child("status").text(required=True) or "",
        severity=detail.child("severity").text(),
        resource_type=resource_type,
        instance_ids=instance_ids,
        cves=vulnerability_ids(
            package.child("vulnerabilityId").text(), package.child("relatedVulnerabilities").texts()
        ),
        updated_at=detail.child("updatedAt").text() or event.time,
        attack_vector=attack_vector_of(vectors),
    )
