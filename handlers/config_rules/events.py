"""AWS Config events about EC2 instances: compliance changes, configuration changes, custom-rule calls.

Only ``AWS::EC2::Instance`` counts (matched exactly: a volume is not an instance). Nothing answers
Config yet: every event is read, checked and skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import InvalidField, Node
from wsbridge.handlers._shared.policy import Policy

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

NOT_IMPLEMENTED = "wsbridge does not answer AWS Config yet"

EC2_INSTANCE = "AWS::EC2::Instance"
COMPLIANCE_CHANGE = "Config Rules Compliance Change"
ITEM_CHANGE = "Config Configuration Item Change"
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})
ITEM_KEYS = {
    "ConfigurationItemChangeNotification": "configurationItem",
    "OversizedConfigurationItemChangeNotification": "configurationItemSummary",
}


class ConfigRulesPolicy(Policy):
    """The ``[config_rules]`` table (no settings yet; unknown keys are refused)."""


@dataclass(frozen=True, slots=True)
class ConfigResource:
    """The resource a Config event is about."""

    resource_type: str
    resource_id: str
    account: str | None
    region: str | None

    def targets(self, rule: str | None = None) -> Targets:
        """Explain targets; the instance id only for EC2 instances."""
        is_instance = self.resource_type == EC2_INSTANCE
        return Targets(
            account=self.account,
            region=self.region,
            finding_id=rule,
            instance_ids=(self.resource_id,) if is_instance else (),
            resource_type=self.resource_type,
        )


def _resource(node: Node, type_node: Node, id_node: Node, event: Event) -> ConfigResource:
    return ConfigResource(
        resource_type=type_node.text(required=True) or "",
        resource_id=id_node.text(required=True) or "",
        account=node.child("awsAccountId").text() or event.account or None,
        region=node.child("awsRegion").text() or event.region or None,
    )


def _first(preferred: Node, fallback: Node, key: str) -> Node:
    node = preferred.child(key)
    return node if node.present else fallback.child(key)


def _item(holder: Node, event: Event) -> tuple[Node, ConfigResource]:
    kind = holder.child("messageType").text(required=True) or ""
    if kind not in ITEM_KEYS:
        raise InvalidField(f"{holder.path}.messageType {kind!r} is not supported")
    item = holder.child(ITEM_KEYS[kind])
    return item, _resource(item, item.child("resourceType"), item.child("resourceId"), event)


def triage_compliance(event: Event) -> Triage:
    """A rule's verdict on one resource changed."""
    detail = Node(event.detail, "detail")
    result = detail.child("newEvaluationResult")
    qualifier = result.at("evaluationResultIdentifier", "evaluationResultQualifier")
    type_node = (
        detail.child("resourceType") if detail.child("resourceType").present else qualifier.child("resourceType")
    )
    id_node = detail.child("resourceId") if detail.child("resourceId").present else qualifier.child("resourceId")
    resource = _resource(detail, type_node, id_node, event)
    name = one_line(detail.child("configRuleName").text() or qualifier.child("configRuleName").text())
    rule = detail.child("configRuleARN").text() or name
    targets = resource.targets(rule)
    if resource.resource_type != EC2_INSTANCE:
        return Triage.skip(f"Config compliance change for {resource.resource_type}, not an EC2 instance", targets)
    compliance = result.child("complianceType").text() or "UNKNOWN"
    return Triage.skip(f"Config rule {name}: {resource.resource_id} is now {compliance}; {NOT_IMPLEMENTED}", targets)


def triage_item_change(event: Event) -> Triage:
    """The recorded configuration of one resource changed."""
    detail = Node(event.detail, "detail")
    item, resource = _item(detail, event)
    targets = resource.targets()
    if resource.resource_type != EC2_INSTANCE:
        return Triage.skip(f"Config configuration change for {resource.resource_type}, not an EC2 instance", targets)
    status = item.child("configurationItemStatus").text()
    if status in DELETED_STATUSES:
        return Triage.skip(f"{resource.resource_id} was deleted ({status})", targets)
    change = detail.at("configurationItemDiff", "changeType").text() or status or "changed"
    return Triage.skip(f"Config configuration of {resource.resource_id}: {change}; {NOT_IMPLEMENTED}", targets)


def triage_invocation(event: Event) -> Triage:
    """A custom Config rule asks for an evaluation (answered later with the result token)."""
    detail = Node(event.detail, "detail")
    invoking = detail.child("invokingEvent")
    detail.child("resultToken").text(required=True)
    name = one_line(detail.child("configRuleName").text())
    rule = detail.child("configRuleArn").text() or name
    if invoking.child("messageType").text(required=True) == "ScheduledNotification":
        account = detail.child("accountId").text() or invoking.child("awsAccountId").text() or event.account
        targets = Targets(
            account=account or None, region=event.region or None, finding_id=rule, resource_type=EC2_INSTANCE
        )
        return Triage.skip(f"Config rule {name}: periodic evaluation of every EC2 instance; {NOT_IMPLEMENTED}", targets)
    _, resource = _item(invoking, event)
    targets = resource.targets(rule)
    if resource.resource_type != EC2_INSTANCE:
        return Triage.skip(f"Config rule {name} invoked for {resource.resource_type}, not an EC2 instance", targets)
    if detail.child("eventLeftScope").flag():
        return Triage.skip(
            f"Config rule {name}: {resource.resource_id} left the rule's scope; {NOT_IMPLEMENTED}", targets
        )
    return Triage.skip(f"Config rule {name}: evaluate {resource.resource_id}; {NOT_IMPLEMENTED}", targets)


def one_line(name: str | None) -> str:
    """A rule name fit for a one-line reason (whitespace runs collapsed), ``?`` when blank."""
    return " ".join((name or "").split()) or "?"
