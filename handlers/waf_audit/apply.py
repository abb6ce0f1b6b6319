"""The one write of the audit: add a managed rule group to a WAFv2 web ACL (UpdateWebACL with its lock token)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import structlog
from botocore.exceptions import ClientError

from wsbridge.consumer.actions import Action
from wsbridge.consumer.settlement import TransientError
from wsbridge.handlers.waf_audit.webacl import RuleGroup, WebAclRef, runs

if TYPE_CHECKING:
    from wsbridge.consumer.services import Services

log = structlog.get_logger("wsbridge.waf_audit")

ATTEMPTS = 5
"""Reads and updates tried when another writer changes the web ACL in between."""

_KEPT = (
    "DefaultAction",
    "Description",
    "VisibilityConfig",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "DataProtectionConfig",
)
"""What UpdateWebACL would otherwise reset: every setting of the web ACL is sent back as it was."""


@dataclass(frozen=True, slots=True)
class WafAddRuleGroup(Action):
    """Add the managed rule group ``vendor``/``name`` to the web ACL ``web_acl`` unless it already runs it."""

    kind: ClassVar[str] = "waf_add_rule_group"
    web_acl: str
    vendor: str
    name: str

    @property
    def target(self) -> tuple[str, str, str]:
        """(web ACL, vendor, group name)."""
        return (self.web_acl, self.vendor, self.name)

    @property
    def coalesce_key(self) -> str:
        """One addition per web ACL and group per window."""
        return f"{self.kind}:{self.web_acl}:{self.vendor}:{self.name}"

    async def run(self, services: Services) -> None:
        """Read, add, update with the lock token; read again and retry when the token went stale."""
        ref = WebAclRef.parse(self.web_acl)
        if ref is None:
            raise ValueError(f"not a WAFv2 web ACL ARN: {self.web_acl}")
        wafv2 = await services.aws_clients().client("wafv2", account=ref.account, region=ref.region)
        group = RuleGroup(self.vendor, self.name)
        for _ in range(ATTEMPTS):
            acl, token = await ref.read(wafv2)
            if runs(acl, group):
                return
            try:
                await wafv2.update_web_acl(**_update(ref, acl, group), LockToken=token)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "WAFOptimisticLockException":
                    raise
                log.info("waf_web_acl_changed_meanwhile", web_acl=self.web_acl)
                continue
            log.info("waf_rule_group_added", web_acl=self.web_acl, vendor=self.vendor, rule_group=self.name)
            return
        raise TransientError(f"web ACL {self.web_acl} kept changing during {ATTEMPTS} attempts to add {self.name}")


def _update(ref: WebAclRef, acl: dict[str, Any], group: RuleGroup) -> dict[str, Any]:
    rules = list(acl.get("Rules", []))
    label = re.sub(r"[^\w-]", "-", f"{group.vendor}-{group.name}")[:128]
    rules.append(
        {
            "Name": label,
            "Priority": max((rule["Priority"] for rule in rules), default=-1) + 1,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": group.vendor, "Name": group.name}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": label},
        }
    )
    kept = {key: acl[key] for key in _KEPT if acl.get(key) not in (None, "", {}, [])}
    return {"Name": ref.name, "Scope": ref.scope, "Id": ref.id, "Rules": rules, **kept}
