"""Inspector Classic notifications: SNS messages that name a finding ARN, read and decided offline.

The notification carries no instance, CVE or severity: acting on it needs an
``inspector:DescribeFindings`` call, which the ``classic_lookups`` setting turns on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import Field

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import Node
from wsbridge.handlers._shared.identifiers import arn_field, finding_key
from wsbridge.handlers.inspector.finding import InspectorPolicy

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

FINDING_REPORTED = "FINDING_REPORTED"
OTHER_INSPECTOR_EVENTS = frozenset(
    {
        "ASSESSMENT_RUN_STARTED",
        "ASSESSMENT_RUN_COMPLETED",
        "ASSESSMENT_RUN_STATE_CHANGED",
        "ENABLE_ASSESSMENT_NOTIFICATIONS",
    }
)


class InspectorClassicPolicy(InspectorPolicy):
    """The ``[inspector_classic]`` table: ``classic_lookups`` and the ``[inspector]`` settings for what is found."""

    classic_lookups: bool = Field(
        False, description="Look Inspector Classic findings up with inspector:DescribeFindings and act on them"
    )


def is_finding_arn(text: str) -> bool:
    """Whether ``text`` looks like an Inspector Classic finding ARN."""
    return text.startswith("arn:") and ":inspector:" in text and "/finding/" in text


@dataclass(frozen=True, slots=True)
class ClassicNotification:
    """A ``FINDING_REPORTED`` notification: the finding's ARN and when it was reported."""

    finding_arn: str
    reported: str


def assess_notification(event: Event, policy: InspectorClassicPolicy) -> Triage:
    """Recognise the notification; act on ``FINDING_REPORTED`` only when lookups are enabled."""
    message = Node(event.detail, "detail").child("message")
    if not isinstance(message.value, dict):
        return Triage.reject("SNS notification is not an Inspector Classic message: unsupported")
    kind = message.child("event").text()
    if kind in OTHER_INSPECTOR_EVENTS:
        return Triage.skip(f"Inspector Classic {kind} notification: only FINDING_REPORTED is acted on")
    if kind != FINDING_REPORTED:
        return Triage.reject(f"SNS notification with event {kind!r} is not supported")
    finding = message.child("finding").text(required=True) or ""
    arn = finding if is_finding_arn(finding) else ""
    targets = Targets(
        account=arn_field(arn, 4) or event.account or None,
        region=arn_field(arn, 3) or event.region or None,
        finding_id=finding,
    )
    if not policy.classic_lookups:
        return Triage.skip(
            "Inspector Classic finding needs a DescribeFindings lookup: set classic_lookups = true", targets
        )
    if not is_finding_arn(finding):
        return Triage.reject(f"Inspector Classic finding {finding!r} is not a finding ARN", targets)
    reported = message.child("time").text() or event.time
    key = finding_key("inspector-classic", finding, reported)
    verdict = Triage.handle("Inspector Classic finding: look it up with DescribeFindings", targets, key)
    return verdict.about(ClassicNotification(finding, reported))
