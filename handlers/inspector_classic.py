"""Inspector Classic findings, which arrive only as SNS notifications naming a finding ARN.

The notification carries no instance, CVE or severity: acting on it needs an
``inspector:DescribeFindings`` call, which the ``classic_lookups`` setting turns on. The described
finding is then decided and planned by the Inspector2 code, with this handler's policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from wsbridge.consumer.envelope import SNS_NOTIFICATION
from wsbridge.consumer.handler import Decision, Handler, HandlerContext, Targets, Triage
from wsbridge.handlers.common import arn_field, finding_key
from wsbridge.handlers.fields import InvalidField, Node
from wsbridge.handlers.inspector import InspectorPolicy
from wsbridge.handlers.inspector import decide as decide_inspector
from wsbridge.handlers.inspector_classic_lookup import classic_finding, describe_finding
from wsbridge.handlers.inspector_plan import plan_inspector
from wsbridge.handlers.policy import load_policy

if TYPE_CHECKING:
    from wsbridge.consumer.actions import Action
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


class InspectorClassicHandler(Handler):
    """``SNS Notification`` bodies: Inspector Classic ``FINDING_REPORTED``; other notifications are refused."""

    name = "inspector_classic"
    detail_types = (SNS_NOTIFICATION,)

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        super().__init__(policy)
        self.options = load_policy(InspectorClassicPolicy, policy)

    def triage(self, event: Event) -> Triage:
        """Recognise the notification, then act only when lookups are enabled."""
        try:
            return self._triage(event)
        except InvalidField as error:
            return Triage.reject(str(error))

    def _triage(self, event: Event) -> Triage:
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
        if not self.options.classic_lookups:
            return Triage.skip(
                "Inspector Classic finding needs a DescribeFindings lookup: set classic_lookups = true", targets
            )
        if not is_finding_arn(finding):
            return Triage.reject(f"Inspector Classic finding {finding!r} is not a finding ARN", targets)
        reported = message.child("time").text() or event.time
        key = finding_key("inspector-classic", finding, reported)
        return Triage.handle("Inspector Classic finding: look it up with DescribeFindings", targets, key)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Sequence[Action]:
        """Describe the finding, decide it like an Inspector2 finding, and plan it the same way."""
        arn = triage.targets.finding_id or ""
        raw = await describe_finding(arn, context)
        finding = classic_finding(raw, arn, updated_fallback=event.time)
        verdict = decide_inspector(finding, self.options)
        if verdict.decision is not Decision.HANDLE:
            context.log.info("inspector_classic_not_acted_on", finding_id=arn, reason=verdict.reason)
            return []
        return await plan_inspector(finding, self.options, context, source="Inspector Classic")
