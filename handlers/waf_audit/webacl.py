"""WAFv2 web ACLs by ARN: scope, region and name from the ARN; the managed rule groups a web ACL runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wsbridge.handlers.waf_audit.edges import CLOUDFRONT_REGION


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A managed rule group, named as ``ManagedRuleGroupStatement`` names it."""

    vendor: str
    name: str

    def as_json(self) -> dict[str, str]:
        """``{"vendor", "name"}``."""
        return {"vendor": self.vendor, "name": self.name}


@dataclass(frozen=True, slots=True)
class WebAclRef:
    """Where a WAFv2 web ACL lives, read from ``arn:aws:wafv2:REGION:ACCOUNT:SCOPE/webacl/NAME/ID``."""

    arn: str
    account: str
    region: str
    scope: str
    name: str
    id: str

    @classmethod
    def parse(cls, arn: str) -> WebAclRef | None:
        """The reference, or ``None`` when ``arn`` is not a WAFv2 web ACL ARN (e.g. a WAF Classic id)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "wafv2":
            return None
        path = parts[5].split("/")
        if len(path) != 4 or path[1] != "webacl":
            return None
        scope = "CLOUDFRONT" if path[0] == "global" else "REGIONAL"
        region = CLOUDFRONT_REGION if scope == "CLOUDFRONT" else parts[3]
        return cls(arn, parts[4], region, scope, path[2], path[3])

    async def read(self, wafv2: Any) -> tuple[dict[str, Any], str]:
        """The web ACL and its lock token (GetWebACL)."""
        answer = await wafv2.get_web_acl(Name=self.name, Scope=self.scope, Id=self.id)
        return answer["WebACL"], answer["LockToken"]


def runs(acl: dict[str, Any], group: RuleGroup) -> bool:
    """True when the web ACL has a rule whose statement is ``group``."""
    for rule in acl.get("Rules", []):
        statement = rule.get("Statement", {}).get("ManagedRuleGroupStatement") or {}
        if statement.get("VendorName") == group.vendor and statement.get("Name") == group.name:
            return True
    return False
