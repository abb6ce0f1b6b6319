"""Read Security Hub (ASFF) findings from GuardDuty, Inspector and Macie into the native finding models.

Each reader translates to the producer's own vocabulary (``AwsEc2Instance`` -> ``Instance`` for
GuardDuty, ``AWS_EC2_INSTANCE`` for Inspector, the bare GuardDuty finding id from the finding ARN),
so the native decision code and finding keys apply unchanged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wsbridge.handlers._shared.fields import Node
from wsbridge.handlers._shared.identifiers import arn_field, bucket_from, finding_id_from, instance_id_from
from wsbridge.handlers._shared.severity import SEVERITY_LABELS
from wsbridge.handlers.guardduty.finding import TEST_PREFIX, GuardDutyFinding
from wsbridge.handlers.inspector.finding import InspectorFinding, attack_vector_of, vulnerability_ids
from wsbridge.handlers.macie.finding import MacieFinding

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

EC2 = "AwsEc2Instance"
GUARDDUTY_RESOURCE_TYPES = {
    EC2: "Instance",
    "AwsIamAccessKey": "AccessKey",
    "AwsS3Bucket": "S3Bucket",
    "AwsEksCluster": "EKSCluster",
    "AwsRdsDbInstance": "RDSDBInstance",
    "AwsLambdaFunction": "Lambda",
    "AwsEcsCluster": "ECSCluster",
}
INSPECTOR_RESOURCE_TYPES = {
    EC2: "AWS_EC2_INSTANCE",
    "AwsEcrContainerImage": "AWS_ECR_CONTAINER_IMAGE",
    "AwsLambdaFunction": "AWS_LAMBDA_FUNCTION",
}
_GUARDDUTY_REGION = re.compile(r"guardduty:([a-z0-9-]+):")


def product_of(finding: Node) -> str:
    """The product part of ``ProductArn``: ``aws/guardduty``, ``aws/securityhub``, ``<account>/default``..."""
    arn = finding.child("ProductArn").text(required=True) or ""
    return arn.rsplit("product/", 1)[-1]


def resources(finding: Node) -> list[tuple[str, str, str | None]]:
    """``(Type, Id, Region)`` of every resource."""
    return [
        (
            item.child("Type").text(required=True) or "",
            item.child("Id").text(required=True) or "",
            item.child("Region").text(),
        )
        for item in finding.child("Resources").items()
    ]


def read_guardduty(finding: Node, event: Event) -> GuardDutyFinding:
    """A GuardDuty ASFF finding as a :class:`GuardDutyFinding`."""
    finding_arn = finding.child("Id").text(required=True) or ""
    found = resources(finding)
    fields = finding.child("ProductFields")
    arn_region = _GUARDDUTY_REGION.search(finding_arn)
    finding_type = _native_type(finding.child("Types").texts())
    return GuardDutyFinding(
        finding_id=finding_id_from(finding_arn),
        account=finding.child("AwsAccountId").text(required=True) or "",
        region=_region(finding, found, event, arn_region.group(1) if arn_region else None),
        finding_type=finding_type,
        resource_type=_resource_type(found, GUARDDUTY_RESOURCE_TYPES),
        instance_ids=_instance_ids(found),
        severity=_numeric_severity(finding),
        sample=fields.child("aws/guardduty/service/additionalInfo/sample").text() == "true"
        or finding_type.startswith(TEST_PREFIX),
        archived=_archived(finding)
        or "true" in (fields.child("aws/guardduty/service/archived").text(), fields.child("archived").text()),
        updated_at=finding.child("UpdatedAt").text(required=True) or "",
    )


def read_inspector(finding: Node, event: Event) -> InspectorFinding:
    """An Inspector (v2 or Classic) ASFF finding as an :class:`InspectorFinding`."""
    found = resources(finding)
    fields = finding.child("ProductFields")
    types = finding.child("Types").texts()
    vulnerabilities = finding.child("Vulnerabilities").items()
    cves = [
        cve
        for item in vulnerabilities
        for cve in vulnerability_ids(item.child("Id").text(required=True), item.child("RelatedVulnerabilities").texts())
    ]
    vectors = [cvss.child("BaseVector").text() or "" for item in vulnerabilities for cvss in item.child("Cvss").items()]
    classic_cve = fields.child("attributes/CVE_ID").text()
    instance_ids = _instance_ids(found) or tuple(filter(None, [fields.child("attributes/INSTANCE_ID").text()]))
    if any("Network Reachability" in kind for kind in types):
        finding_type = "NETWORK_REACHABILITY"
    elif cves or classic_cve or any("Vulnerabilities/CVE" in kind for kind in types):
        finding_type = "PACKAGE_VULNERABILITY"
    else:
        finding_type = "OTHER"
    return InspectorFinding(
        finding_id=finding.child("Id").text(required=True) or "",
        account=finding.child("AwsAccountId").text(required=True) or "",
        region=_region(finding, found, event, _arn_region(finding)),
        finding_type=finding_type,
        status=_inspector_status(finding),
        severity=_label(finding),
        resource_type="AWS_EC2_INSTANCE" if instance_ids else _resource_type(found, INSPECTOR_RESOURCE_TYPES),
        instance_ids=instance_ids,
        cves=tuple(dict.fromkeys([*cves, *filter(None, [classic_cve])])),
        updated_at=finding.child("UpdatedAt").text(required=True) or "",
        attack_vector=attack_vector_of(vectors),
    )


def read_macie(finding: Node, event: Event) -> MacieFinding:
    """A Macie ASFF finding as a :class:`MacieFinding`."""
    found = resources(finding)
    buckets = [bucket_from(resource_id) for kind, resource_id, _ in found if kind == "AwsS3Bucket"]
    types = finding.child("Types").texts()
    finding_type = _native_type(types)
    if not finding_type and any(kind.startswith("Sensitive Data Identifications") for kind in types):
        finding_type = "SensitiveData:S3Object"
    return MacieFinding(
        finding_id=finding_id_from(finding.child("Id").text(required=True) or ""),
        account=finding.child("AwsAccountId").text(required=True) or "",
        region=_region(finding, found, event),
        finding_type=finding_type,
        severity=_label(finding),
        bucket=next(filter(None, buckets), None),
        sample=False,
        archived=_archived(finding),
        updated_at=finding.child("UpdatedAt").text(required=True) or "",
    )


def _region(finding: Node, found: list[tuple[str, str, str | None]], event: Event, hint: str | None = None) -> str:
    resource_region = next((region for _, _, region in found if region), None)
    return finding.child("Region").text() or hint or resource_region or event.region


def _arn_region(finding: Node) -> str | None:
    finding_id = finding.child("Id").text() or ""
    return arn_field(finding_id, 3) if finding_id.startswith("arn:") else None


def _instance_ids(found: list[tuple[str, str, str | None]]) -> tuple[str, ...]:
    ids = (instance_id_from(resource_id) for kind, resource_id, _ in found if kind == EC2)
    return tuple(dict.fromkeys(filter(None, ids)))


def _resource_type(found: list[tuple[str, str, str | None]], names: dict[str, str]) -> str:
    kinds = [kind for kind, _, _ in found]
    kind = EC2 if EC2 in kinds else (kinds[0] if kinds else "unknown")
    return names.get(kind, kind)


def _native_type(types: list[str]) -> str:
    """``TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce`` -> ``UnauthorizedAccess:EC2/SSHBruteForce``."""
    for kind in types:
        last = kind.rsplit("/", 1)[-1]
        if ":" in last:
            purpose, _, rest = last.partition(":")
            return f"{purpose}:{rest.replace('-', '/', 1)}"
    return ""


def _archived(finding: Node) -> bool:
    return finding.child("RecordState").text() == "ARCHIVED"


def _inspector_status(finding: Node) -> str:
    workflow = finding.at("Workflow", "Status").text()
    if _archived(finding) or workflow == "RESOLVED":
        return "CLOSED"
    return "SUPPRESSED" if workflow == "SUPPRESSED" else "ACTIVE"


def _label(finding: Node) -> str | None:
    label = finding.at("Severity", "Label").text() or finding.at("FindingProviderFields", "Severity", "Label").text()
    if label:
        return label.upper()
    normalized = finding.at("Severity", "Normalized").number()
    if normalized is None:
        return None
    bands = (0, 1, 40, 70, 90)
    above = (name for name, floor in zip(SEVERITY_LABELS[::-1], bands[::-1], strict=True) if normalized >= floor)
    return next(above, SEVERITY_LABELS[0])


def _numeric_severity(finding: Node) -> float | None:
    product = finding.at("Severity", "Product").number()
    if product is not None:
        return product
    original = (
        finding.at("Severity", "Original").text() or finding.at("FindingProviderFields", "Severity", "Original").text()
    )
    try:
        return float(original) if original else None
    except ValueError:
        return None
