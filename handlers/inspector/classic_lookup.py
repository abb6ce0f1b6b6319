"""Inspector Classic findings fetched with ``inspector:DescribeFindings`` and read as Inspector2-style findings.

:func:`classic_finding` is the pure mapping: ``assetAttributes.agentId`` is the instance id, the CVE
is the finding's ``id`` (CVE rules package) or its ``CVE_ID`` attribute, and ``PORT`` /
``REACHABILITY_TYPE`` attributes mark a network-reachability finding. Classic findings have no
status, so a described finding is ``ACTIVE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from wsbridge.consumer.settlement import PermanentError, TransientError
from wsbridge.handlers._shared.identifiers import arn_field
from wsbridge.handlers.inspector.finding import EC2_INSTANCE, InspectorFinding, is_cve

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext

NETWORK_ATTRIBUTES = frozenset({"PORT", "REACHABILITY_TYPE", "PORT_GROUP_NAME"})
REFUSED_INPUT = frozenset({"InvalidInputException", "NoSuchEntityException"})


async def describe_finding(finding_arn: str, context: HandlerContext) -> dict[str, Any]:
    """The finding as ``DescribeFindings`` returns it; a finding that cannot be described is a permanent error."""
    client = await context.services.aws_clients().client("inspector")
    try:
        response = await client.describe_findings(findingArns=[finding_arn], locale="EN_US")
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in REFUSED_INPUT:
            raise PermanentError(f"Inspector Classic refused {finding_arn}: {code}") from None
        raise
    failed = (response.get("failedItems") or {}).get(finding_arn)
    if failed:
        reason = f"Inspector Classic cannot describe {finding_arn}: {failed.get('failureCode')}"
        raise TransientError(reason) if failed.get("retryable") else PermanentError(reason)
    findings: list[dict[str, Any]] = response.get("findings") or []
    if not findings:
        raise PermanentError(f"Inspector Classic returned no finding for {finding_arn}")
    return findings[0]


def classic_finding(raw: dict[str, Any], finding_arn: str, *, updated_fallback: str = "") -> InspectorFinding:
    """A described Inspector Classic finding in Inspector2's vocabulary."""
    attributes = {
        str(item.get("key")): str(item.get("value", ""))
        for item in raw.get("attributes") or []
        if isinstance(item, dict)
    }
    asset = raw.get("assetAttributes") or {}
    instance_id = asset.get("agentId") or attributes.get("INSTANCE_ID")
    candidates = [str(raw.get("id") or ""), attributes.get("CVE_ID", "")]
    cves = tuple(dict.fromkeys(candidate.upper() for candidate in candidates if is_cve(candidate)))
    if cves:
        finding_type = "PACKAGE_VULNERABILITY"
    elif NETWORK_ATTRIBUTES & attributes.keys():
        finding_type = "NETWORK_REACHABILITY"
    else:
        finding_type = "OTHER"
    arn = str(raw.get("arn") or finding_arn)
    severity = raw.get("severity")
    return InspectorFinding(
        finding_id=arn,
        account=arn_field(arn, 4),
        region=arn_field(arn, 3),
        finding_type=finding_type,
        status="ACTIVE",
        severity=str(severity).upper() if severity else None,
        resource_type=EC2_INSTANCE if instance_id else str(raw.get("assetType") or "unknown"),
        instance_ids=(str(instance_id),) if instance_id else (),
        cves=cves,
        updated_at=_text_time(raw.get("updatedAt")) or updated_fallback,
    )


def _text_time(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else None
