"""A custom Config rule's invocation, read offline: what to evaluate, with which check, and how to answer.

Every invocation that carries a result token is answered, so Config never waits for nothing: an
``invokingEvent`` or ``ruleParameters`` that is not a JSON object, or an unknown check, is answered
``NOT_APPLICABLE`` with the reason (on the account, when the resource is unknown). Without a result
token nothing can answer it, and the invocation is rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.envelope import json_object_problem
from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import InvalidField, Node
from wsbridge.handlers.config_rules.checks import Check, CheckError
from wsbridge.handlers.config_rules.events import DELETED_STATUSES, EC2_INSTANCE, ITEM_KEYS

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

ACCOUNT = "AWS::::Account"
SCHEDULED = "ScheduledNotification"
OVERSIZED = "OversizedConfigurationItemChangeNotification"


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation. ``region`` is the rule's (where the answer goes), ``resource_region`` the item's;
    ``answer`` is set when the reply is known offline (``NOT_APPLICABLE`` and why)."""

    rule: str
    account: str | None
    region: str | None
    result_token: str
    message_type: str
    resource_type: str
    resource_id: str
    resource_region: str | None
    ordering_timestamp: str
    check: Check | None
    answer: str | None = None

    @property
    def periodic(self) -> bool:
        """A scheduled notification: evaluate every EC2 instance of the account and region."""
        return self.answer is None and self.message_type == SCHEDULED

    @property
    def oversized(self) -> bool:
        """Only a summary came: the item is read through the Config API."""
        return self.message_type == OVERSIZED


def triage_invocation(event: Event) -> Triage:
    """Handle every invocation that carries a result token; reject the others with the reason."""
    detail = Node(event.detail, "detail")
    token = detail.child("resultToken").text()
    problem = _json_problem(event.detail)
    if not token:
        missing = "Config rule invocation has no resultToken, so nothing can answer it"
        return Triage.reject(f"{problem}; {missing}" if problem else missing)
    name = detail.child("configRuleName").text() or "?"
    rule = detail.child("configRuleArn").text() or name
    account = detail.child("accountId").text() or event.account or None
    region = event.region or None
    base = Invocation(rule, account, region, token, "", ACCOUNT, account or "", region, event.time, None)
    if problem:
        return _answered(base, problem, name)
    try:
        invocation = _read(event, base)
    except InvalidField as error:
        return _answered(base, str(error), name)
    targets = _targets(invocation)
    if invocation.answer is not None:
        return Triage.handle(f"Config rule {name}: {invocation.answer}", targets).about(invocation)
    what = "every EC2 instance" if invocation.periodic else invocation.resource_id
    check = invocation.check.describe() if invocation.check else "?"
    return Triage.handle(f"Config rule {name}: evaluate {what} ({check})", targets).about(invocation)


def _read(event: Event, base: Invocation) -> Invocation:
    detail = Node(event.detail, "detail")
    invoking = detail.child("invokingEvent")
    found = _about(invoking, base)
    try:
        found = replace(found, check=Check.from_parameters(event.detail.get("ruleParameters") or {}))
    except CheckError as error:
        return replace(found, answer=f"not applicable: {error}")
    if found.message_type == SCHEDULED:
        return found
    if found.resource_type != EC2_INSTANCE:
        return replace(found, answer=f"not applicable: {found.resource_type} is not an EC2 instance")
    if detail.child("eventLeftScope").flag():
        return replace(found, answer=f"not applicable: {found.resource_id} left the rule's scope")
    status = invoking.child(ITEM_KEYS[found.message_type]).child("configurationItemStatus").text()
    if status in DELETED_STATUSES:
        return replace(found, answer=f"not applicable: {found.resource_id} was deleted ({status})")
    return found


def _about(invoking: Node, base: Invocation) -> Invocation:
    """The resource (or, for a scheduled notification, the account) the invocation is about."""
    kind = invoking.child("messageType").text(required=True) or ""
    if kind == SCHEDULED:
        created = invoking.child("notificationCreationTime").text() or base.ordering_timestamp
        return replace(base, message_type=kind, ordering_timestamp=created)
    if kind not in ITEM_KEYS:
        raise InvalidField(f"{invoking.path}.messageType {kind!r} is not supported")
    item = invoking.child(ITEM_KEYS[kind])
    return replace(
        base,
        message_type=kind,
        resource_type=item.child("resourceType").text(required=True) or "",
        resource_id=item.child("resourceId").text(required=True) or "",
        resource_region=item.child("awsRegion").text() or base.region,
        ordering_timestamp=item.child("configurationItemCaptureTime").text() or base.ordering_timestamp,
    )


def _answered(base: Invocation, problem: str, name: str) -> Triage:
    invocation = replace(base, answer=f"not applicable: {problem}")
    return Triage.handle(f"Config rule {name}: {invocation.answer}", _targets(invocation)).about(invocation)


def _json_problem(detail: dict[str, Any]) -> str | None:
    for name in ("invokingEvent", "ruleParameters"):
        value = detail.get(name)
        if value is not None and not isinstance(value, dict):
            return json_object_problem(value, name)
    return None


def _targets(invocation: Invocation) -> Targets:
    instance = invocation.resource_type == EC2_INSTANCE and invocation.resource_id.startswith("i-")
    return Targets(
        account=invocation.account,
        region=invocation.resource_region,
        finding_id=invocation.rule,
        instance_ids=(invocation.resource_id,) if instance else (),
        resource_type=EC2_INSTANCE if invocation.periodic else invocation.resource_type,
    )
