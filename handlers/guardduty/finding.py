"""GuardDuty findings about EC2 instances: reading and deciding.

The decision (:func:`decide`) works on a :class:`GuardDutyFinding`, which both the native
``GuardDuty Finding`` event and the Security Hub (ASFF) copy of a finding are read into, so one
finding gets the same verdict and the same de-duplication key whichever way it arrives.
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

EC2_RESOURCE_TYPES = frozenset({"Instance", "Container"})
NODE_RESOURCE_TYPES = frozenset({"EKSCluster", "ECSCluster"})
"""Runtime Monitoring findings on clusters: handled when they name the EC2 node (``instanceDetails``)."""
ATTACK_SEQUENCE = "AttackSequence:"
TEST_PREFIX = "Canary:"


class GuardDutyPolicy(Policy):
    """The ``[guardduty]`` table."""

    min_severity: float = Field(0.0, ge=0, le=10, description="Skip findings below this severity (0-10)")
    include_samples: bool = Field(False, description="Act on generated sample findings")
    include_archived: bool = Field(False, description="Act on findings archived by a user")
    malware_scan_families: tuple[str, ...] = Field(
        ("CryptoCurrency", "Backdoor", "Trojan"),
        strict=False,
        description="Threat purposes (the part of the finding type before ':') that add a malware scan",
    )
    notify_families: tuple[str, ...] = Field(
        (),
        strict=False,
        description="Threat purposes that also notify people when a protected instance was scanned",
    )


@dataclass(frozen=True, slots=True)
class GuardDutyFinding:
    """The parts of a GuardDuty finding the decision needs, in GuardDuty's own vocabulary."""

    finding_id: str
    account: str
    region: str
    finding_type: str
    resource_type: str
    instance_ids: tuple[str, ...]
    severity: float | None
    sample: bool
    archived: bool
    updated_at: str

    @property
    def key(self) -> str:
        """``guardduty:<account>:<region>:<finding id>:<updatedAt>``."""
        return version_key("guardduty", self)

    def targets(self) -> Targets:
        """The explain targets of this finding."""
        return targets_of(self, instance_ids=self.instance_ids, resource_type=self.resource_type)


def threat_purpose(finding_type: str) -> str:
    """The part of a GuardDuty finding type before ``:`` (``Backdoor`` in ``Backdoor:EC2/C&CActivity.B``)."""
    return finding_type.partition(":")[0]


def decide(finding: GuardDutyFinding, policy: GuardDutyPolicy, *, explicit: bool = False) -> Triage:
    """Handle EC2 findings that pass the policy; ``explicit`` (a user's request) bypasses its filters."""
    targets = finding.targets()
    what = f"GuardDuty {finding.finding_type or 'finding'}"
    if not finding.instance_ids:
        if not finding.resource_type:
            return Triage.skip(f"{what} names no resource, so it cannot be about an EC2 instance", targets)
        if finding.resource_type == "Instance":
            return Triage.skip(f"{what} on an Instance names no instance id", targets)
        if finding.resource_type == "Container":
            return Triage.skip(f"{what} is about a container with no EC2 host instance", targets)
        return Triage.skip(f"{what} is on a resource of type {finding.resource_type}, not an EC2 instance", targets)
    if not explicit:
        if finding.archived and not policy.include_archived:
            return Triage.skip(f"{what} is archived (include_archived = false)", targets)
        if finding.sample and not policy.include_samples:
            kind = "test (Canary)" if finding.finding_type.startswith(TEST_PREFIX) else "sample"
            return Triage.skip(f"{what} is a {kind} finding (include_samples = false)", targets)
        if finding.severity is not None and finding.severity < policy.min_severity:
            return Triage.skip(
                f"{what} severity {finding.severity:g} is below min_severity {policy.min_severity:g}", targets
            )
    severity = "unknown" if finding.severity is None else f"{finding.severity:g}"
    on = ", ".join(finding.instance_ids)
    return Triage.handle(f"{what} on {on} (severity {severity})", targets, finding.key).about(finding)


def read_event(event: Event) -> GuardDutyFinding:
    """Read a native ``GuardDuty Finding`` event; raises :class:`InvalidField` on wrong types.

    Optional sections may be absent or null (no ``resource``, an empty ``detail``, a redacted
    ``updatedAt``): the finding then names no instance and :func:`decide` skips it with the reason.
    """
    detail = Node(event.detail, "detail")
    resource = detail.child("resource")
    resource_type = (resource.child("resourceType").text() or "").strip()
    finding_type = (detail.child("type").text() or "").strip()
    service = detail.child("service")
    return GuardDutyFinding(
        finding_id=detail.child("id").text() or event.id,
        account=detail.child("accountId").text() or event.account,
        region=detail.child("region").text() or event.region,
        finding_type=finding_type,
        resource_type=resource_type,
        instance_ids=instance_ids_of(finding_type, resource_type, resource, service),
        severity=detail.child("severity").number(),
        sample=service.at("additionalInfo", "sample").flag() or finding_type.startswith(TEST_PREFIX),
        archived=service.child("archived").flag(),
        updated_at=(detail.child("updatedAt").text() or "").strip() or event.time,
    )


def instance_ids_of(finding_type: str, resource_type: str, resource: Node, service: Node) -> tuple[str, ...]:
    """The EC2 instances a finding is about: the instance, the container's host, the cluster's node,
    or the instances an attack sequence lists."""
    found: list[str] = []
    if resource_type in EC2_RESOURCE_TYPES | NODE_RESOURCE_TYPES:
        found.append(resource.at("instanceDetails", "instanceId").text() or "")
    if finding_type.startswith(ATTACK_SEQUENCE):
        for item in service.at("detection", "sequence", "resources").items():
            if item.child("resourceType").text() == "EC2_INSTANCE":
                found.append(item.child("uid").text() or "")
            found += item.at("data", "autoscalingAutoScalingGroup", "ec2InstanceUids").texts()
    return tuple(dict.fromkeys(instance for instance in found if instance.strip()))
