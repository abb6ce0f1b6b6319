"""The audit's report: one line per front door, and the summary line."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wsbridge.handlers.waf_audit.apply import WafAddRuleGroup
    from wsbridge.handlers.waf_audit.webacl import RuleGroup


class Status(StrEnum):
    """Where a front door stands."""

    NO_WEB_ACL = "no_web_acl"
    WAF_UNSUPPORTED = "waf_unsupported"
    NO_RECOMMENDATION = "no_recommendation"
    NOT_WAFV2 = "not_wafv2"
    RULE_GROUP_PRESENT = "rule_group_present"
    RULE_GROUP_MISSING = "rule_group_missing"
    RULE_GROUP_ADDED = "rule_group_added"


GAPS = (Status.NO_WEB_ACL, Status.WAF_UNSUPPORTED)


@dataclass(frozen=True, slots=True)
class DoorReport:
    """One front door: its web ACL, what is behind it, and the rule group it should run."""

    front_door: str
    kind: str
    account: str
    region: str
    web_acl: str | None
    instances: tuple[str, ...]
    computers: tuple[dict[str, Any], ...]
    classification: str
    recommended_rule_group: RuleGroup | None
    status: Status
    fronted_by: str | None = None

    @property
    def applied(self) -> bool:
        """The recommended group runs in the web ACL after this run (found there or added now)."""
        return self.status in (Status.RULE_GROUP_PRESENT, Status.RULE_GROUP_ADDED)

    def added(self) -> DoorReport:
        """This report after its rule group was added."""
        return replace(self, status=Status.RULE_GROUP_ADDED)

    def as_json(self) -> dict[str, Any]:
        """The JSON line of ``wsbridge waf-audit``."""
        group = self.recommended_rule_group
        return {
            "front_door": self.front_door,
            "kind": self.kind,
            "account": self.account,
            "region": self.region,
            "web_acl": self.web_acl,
            "fronted_by": self.fronted_by,
            "instances": list(self.instances),
            "computers": list(self.computers),
            "classification": self.classification,
            "recommended_rule_group": group.as_json() if group else None,
            "applied": self.applied,
            "status": self.status.value,
        }


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An account or region the audit could not read, and why."""

    account: str
    region: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        """``{"account", "region", "reason"}``."""
        return {"account": self.account, "region": self.region, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every front door, what could not be read, and the additions that would close the gaps in web ACLs."""

    doors: tuple[DoorReport, ...]
    unreadable: tuple[Unreadable, ...] = ()
    additions: tuple[WafAddRuleGroup, ...] = field(default=())

    def with_added(self, done: set[tuple[str, str, str]]) -> AuditResult:
        """The result after the additions whose ``target`` (web ACL, vendor, name) is in ``done`` ran."""
        doors = tuple(door.added() if _key(door) in done else door for door in self.doors)
        return replace(self, doors=doors)

    def summary(self) -> dict[str, Any]:
        """The summary line."""
        return {
            "summary": True,
            "front_doors": len(self.doors),
            "gaps": [door.front_door for door in self.doors if door.status in GAPS],
            "rule_groups_missing": sum(door.status is Status.RULE_GROUP_MISSING for door in self.doors),
            "rule_groups_added": sum(door.status is Status.RULE_GROUP_ADDED for door in self.doors),
            "unreadable": [item.as_json() for item in self.unreadable],
        }


def _key(door: DoorReport) -> tuple[str, str, str] | None:
    group = door.recommended_rule_group
    if door.status is not Status.RULE_GROUP_MISSING or group is None or door.web_acl is None:
        return None
    return (door.web_acl, group.vendor, group.name)
