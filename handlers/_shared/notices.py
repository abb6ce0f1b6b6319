"""What wsbridge tells people: instances it cannot protect, CVEs no IPS rule covers, IPS that only detects.

The builders are pure and return :class:`~wsbridge.consumer.actions.Notify` actions with a
``dedupe_key``, so the executor sends each notice once per coalescing window, to the configured SNS
topic or webhook, or to the log when neither is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.actions import Notify

if TYPE_CHECKING:
    from wsbridge.handlers._shared.instances import KnownInstance

UNPROTECTED_TOPIC = "unprotected-instance"
UNCOVERED_CVE_TOPIC = "uncovered-cve"
IPS_NOT_PREVENTING_TOPIC = "ips-not-preventing"
SCANNED_TOPIC = "scanned-instance"
PARTLY_PROTECTED_TOPIC = "partly-protected-instance"


@dataclass(frozen=True, slots=True)
class FindingSummary:
    """The facts about a finding that every notice carries."""

    source: str
    finding_id: str
    finding_type: str
    severity: str | float | None
    account: str
    region: str
    console_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding part of a notice's details."""
        return {
            "source": self.source,
            "finding_id": self.finding_id,
            "finding_type": self.finding_type,
            "severity": self.severity,
            "account": self.account,
            "region": self.region,
            "console_url": self.console_url,
        }


def console_base(region: str) -> str:
    """The AWS console URL for ``region``."""
    return f"https://{region}.console.aws.amazon.com" if region else "https://console.aws.amazon.com"


def instance_console_url(region: str, instance_id: str) -> str:
    """The instance's page in the EC2 console."""
    return f"{console_base(region)}/ec2/home?region={region}#InstanceDetails:instanceId={instance_id}"


def guardduty_console_url(region: str, finding_id: str) -> str:
    """The finding's page in the GuardDuty console."""
    return f"{console_base(region)}/guardduty/home?region={region}#/findings?macros=current&fId={finding_id}"


def unprotected_notice(instance_id: str, finding: FindingSummary, known: KnownInstance | None) -> Notify:
    """An instance Workload Security does not know, or does not protect: once per instance per window."""
    if known is None:
        why = "not known to Workload Security (no agent, or no computer reports this instance id)"
        computer: dict[str, Any] = {}
    else:
        why = "; ".join(known.verdict.reasons) or "not protected"
        computer = {"computer_id": known.computer_id, "computer_name": known.name, "policy_id": known.policy_id}
    return Notify(
        topic=UNPROTECTED_TOPIC,
        subject=f"{finding.source} finding on {instance_id}, which Workload Security does not protect",
        details={
            "instance_id": instance_id,
            "instance_console_url": instance_console_url(finding.region, instance_id),
            "reason": why,
            **computer,
            **finding.as_json(),
        },
        dedupe_key=f"{UNPROTECTED_TOPIC}:{instance_id}",
    )


def uncovered_cve_notice(cve: str, instance_id: str, finding: FindingSummary) -> Notify:
    """A CVE that no Intrusion Prevention rule lists: once per CVE per window."""
    return Notify(
        topic=UNCOVERED_CVE_TOPIC,
        subject=f"No Workload Security IPS rule covers {cve} (on {instance_id})",
        details={"cve": cve, "instance_id": instance_id, **finding.as_json()},
        dedupe_key=f"{UNCOVERED_CVE_TOPIC}:{cve}",
    )


def ips_not_preventing_notice(
    known: KnownInstance, target: str, mode: str | None, cve: str, rule_ids: Sequence[int], finding: FindingSummary
) -> Notify:
    """IPS is off or detect-only where the covering rules go (``target``: ``policy 2``, ``computer 7``)."""
    state = mode or "not reported"
    return Notify(
        topic=IPS_NOT_PREVENTING_TOPIC,
        subject=f"Intrusion Prevention is {state} on {target}: rules for {cve} will not block attacks",
        details={
            "target": target,
            "intrusion_prevention": state,
            "cve": cve,
            "rule_ids": sorted(rule_ids),
            "instance_id": known.instance_id,
            "computer_id": known.computer_id,
            "computer_name": known.name,
            **finding.as_json(),
        },
        dedupe_key=f"{IPS_NOT_PREVENTING_TOPIC}:{target}",
    )


def scanned_details(known: KnownInstance, finding: FindingSummary, scans: Sequence[str]) -> dict[str, Any]:
    """What a notice about scans on a known instance says: the computer, the scans and the finding."""
    return {
        "instance_id": known.instance_id,
        "computer_id": known.computer_id,
        "computer_name": known.name,
        "scans": list(scans),
        "instance_console_url": instance_console_url(finding.region, known.instance_id),
        **finding.as_json(),
    }


def scanned_notice(known: KnownInstance, finding: FindingSummary, scans: Sequence[str]) -> Notify:
    """A finding on a protected instance that was answered with ``scans``: once per instance per window."""
    return Notify(
        topic=SCANNED_TOPIC,
        subject=f"{finding.source} {finding.finding_type} on {known.instance_id}: Workload Security scans started",
        details=scanned_details(known, finding, scans),
        dedupe_key=f"{SCANNED_TOPIC}:{known.instance_id}",
    )


def partly_protected_notice(known: KnownInstance, finding: FindingSummary, scans: Sequence[str]) -> Notify:
    """A managed, online agent with gaps: the scans its modules support ran; the gaps are said once per window."""
    return Notify(
        topic=PARTLY_PROTECTED_TOPIC,
        subject=f"{finding.source} finding on {known.instance_id}, which Workload Security protects only in part",
        details={
            **scanned_details(known, finding, scans),
            "policy_id": known.policy_id,
            "gaps": list(known.verdict.reasons),
        },
        dedupe_key=f"{PARTLY_PROTECTED_TOPIC}:{known.instance_id}",
    )
