"""AWS Config events about EC2 instances: compliance changes and configuration item changes.

Only ``AWS::EC2::Instance`` counts (matched exactly: a volume is not an instance). By policy, an
instance that turns ``NON_COMPLIANT`` on a wsbridge rule, or whose security groups or instance
profile change, is handled (a recommendation scan); every other event is skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsbridge.consumer.handler import Targets, Triage
from wsbridge.handlers._shared.fields import InvalidField, Node
from wsbridge.handlers._shared.policy import Policy

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

EC2_INSTANCE = "AWS::EC2::Instance"
COMPLIANCE_CHANGE = "Config Rules Compliance Change"
ITEM_CHANGE = "Config Configuration Item Change"
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})
ITEM_KEYS = {
    "ConfigurationItemChangeNotification": "configurationItem",
    "OversizedConfigurationItemChangeNotification": "configurationItemSummary",
}


EXPOSURE_PREFIXES = ("Configuration.SecurityGroups", "Configuration.IamInstanceProfile")
SECURITY_GROUP = "AWS::EC2::SecurityGroup"


class ConfigRulesPolicy(Policy):
    """The ``[handlers.config_rules]`` table."""

    test_mode: bool = False
    rule_prefix: str = "wsbridge-"
    scan_when_noncompliant: bool = False
    scan_when_exposure_changes: bool = False


@dataclass(frozen=True, slots=True)
class InstanceChange:
    """An instance to scan: it turned non-compliant (``protected_only`` off) or its exposure changed."""

    instance_id: str
    why: str
    protected_only: bool


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


def triage_compliance(event: Event, policy: ConfigRulesPolicy) -> Triage:
    """A rule's verdict on one resource changed: scan an instance that turned non-compliant on our rules."""
    detail = Node(event.detail, "detail")
    result = detail.child("newEvaluationResult")
    qualifier = result.at("evaluationResultIdentifier", "evaluationResultQualifier")
    type_node = _first(detail, qualifier, "resourceType")
    id_node = _first(detail, qualifier, "resourceId")
    resource = _resource(detail, type_node, id_node, event)
    name = detail.child("configRuleName").text() or qualifier.child("configRuleName").text() or "?"
    rule = detail.child("configRuleARN").text() or name
    targets = resource.targets(rule)
    if resource.resource_type != EC2_INSTANCE:
        return Triage.skip(f"Config compliance change for {resource.resource_type}, not an EC2 instance", targets)
    compliance = result.child("complianceType").text() or "UNKNOWN"
    now = f"Config rule {name}: {resource.resource_id} is now {compliance}"
    if compliance != "NON_COMPLIANT":
        return Triage.skip(f"{now}; only NON_COMPLIANT leads to a scan", targets)
    if not name.startswith(policy.rule_prefix):
        return Triage.skip(f"{now}; not a wsbridge rule (rule_prefix = {policy.rule_prefix!r})", targets)
    if not policy.scan_when_noncompliant:
        return Triage.skip(f"{now}; set scan_when_noncompliant = true to scan it", targets)
    change = InstanceChange(resource.resource_id, f"non-compliant on {name}", protected_only=False)
    return Triage.handle(f"{now}: recommendation scan", targets).about(change)


def triage_item_change(event: Event, policy: ConfigRulesPolicy) -> Triage:
    """The recorded configuration of one resource changed: scan a protected instance whose exposure changed."""
    detail = Node(event.detail, "detail")
    item, resource = _item(detail, event)
    targets = resource.targets()
    if resource.resource_type != EC2_INSTANCE:
        return Triage.skip(f"Config configuration change for {resource.resource_type}, not an EC2 instance", targets)
    status = item.child("configurationItemStatus").text()
    if status in DELETED_STATUSES:
        return Triage.skip(f"{resource.resource_id} was deleted ({status})", targets)
    change = detail.at("configurationItemDiff", "changeType").text() or status or "changed"
    about = f"Config configuration of {resource.resource_id}: {change}"
    exposure = _exposure_changes(detail.at("configurationItemDiff", "changedProperties"))
    if not exposure:
        return Triage.skip(f"{about}; neither its security groups nor its instance profile changed", targets)
    if not policy.scan_when_exposure_changes:
        return Triage.skip(f"{about} ({exposure}); set scan_when_exposure_changes = true to scan it", targets)
    scan = InstanceChange(resource.resource_id, f"its {exposure} changed", protected_only=True)
    return Triage.handle(f"{about} ({exposure}): recommendation scan if protected", targets).about(scan)


def _exposure_changes(changed: Node) -> str:
    """``security groups``, ``instance profile`` or both, as the item diff shows them."""
    found: list[str] = []
    for key, value in (changed.value if isinstance(changed.value, dict) else {}).items():
        values = value.values() if isinstance(value, dict) else ()
        if key.startswith(EXPOSURE_PREFIXES[0]) or (
            key.startswith("Relationships.")
            and any(isinstance(side, dict) and side.get("resourceType") == SECURITY_GROUP for side in values)
        ):
            found.append("security groups")
        elif key.startswith(EXPOSURE_PREFIXES[1]):
            found.append("instance profile")
    return " and ".join(sorted(set(found)))
