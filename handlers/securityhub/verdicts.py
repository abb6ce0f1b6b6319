"""One verdict for a Security Hub event: what a skipped finding is about, and how several findings combine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wsbridge.consumer.handler import Decision, Targets, Triage

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event


def summary_targets(finding: dict[str, Any], event: Event) -> Targets:
    """What a finding we do not act on is about, read without validation."""
    severity = finding.get("Severity")
    resource_list = finding.get("Resources")
    first = resource_list[0] if isinstance(resource_list, list) and resource_list else None
    return Targets(
        account=_text(finding.get("AwsAccountId")) or event.account or None,
        region=_text(finding.get("Region")) or event.region or None,
        finding_id=_text(finding.get("Id")),
        severity=_text(severity.get("Label")) if isinstance(severity, dict) else None,
        resource_type=_text(first.get("Type")) if isinstance(first, dict) else None,
    )


def combine(verdicts: list[Triage]) -> Triage:
    """One verdict for an event with several findings: handle if any finding is handled."""
    if len(verdicts) == 1:
        return verdicts[0]
    total = len(verdicts)
    handled = [verdict for verdict in verdicts if verdict.decision is Decision.HANDLE]
    if handled:
        keys = [verdict.finding_key for verdict in handled]
        key = "+".join(sorted(k for k in keys if k)) if all(keys) else None
        reason = f"{len(handled)} of {total} findings to act on; first: {handled[0].reason}"
        return Triage.handle(reason, merge_targets([verdict.targets for verdict in handled]), key)
    rejected = [verdict for verdict in verdicts if verdict.decision is Decision.REJECT]
    if rejected:
        return Triage.reject(f"{len(rejected)} of {total} findings are malformed; first: {rejected[0].reason}")
    return Triage.skip(f"none of {total} findings to act on; first: {verdicts[0].reason}")


def merge_targets(many: list[Targets]) -> Targets:
    """Targets of several findings: the union of instances and CVEs, the first account and bucket."""
    first = many[0]
    return Targets(
        account=first.account,
        region=first.region,
        instance_ids=tuple(dict.fromkeys(i for targets in many for i in targets.instance_ids)),
        bucket=next((targets.bucket for targets in many if targets.bucket), None),
        cves=tuple(dict.fromkeys(cve for targets in many for cve in targets.cves)),
        resource_type=first.resource_type if all(t.resource_type == first.resource_type for t in many) else None,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
