"""Which Trend Micro managed rule group fits a classification, in a given WAF scope.

``ListAvailableManagedRuleGroups`` is asked once per account and scope per run (and no more in an
account where it failed); a group of the policy's vendor whose name or description says CMS (web
applications) or web server is chosen. Where that API does not answer, or lists no such group, the
names in the handler policy are used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.handlers.waf_audit.classify import Classification
from wsbridge.handlers.waf_audit.webacl import RuleGroup

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.handlers.waf_audit.policy import WafAuditPolicy

log = structlog.get_logger("wsbridge.waf_audit")

_HINTS = {
    Classification.WEB_APPLICATION: re.compile(r"\bcms\b|content management", re.I),
    Classification.WEB_SERVER: re.compile(r"web ?server", re.I),
}


class RuleGroupChooser:
    """Chooses the rule group for a classification, discovering the vendor's groups once per scope."""

    def __init__(self, aws: AwsClients, policy: WafAuditPolicy) -> None:
        """``policy`` names the vendor and the fallback group names."""
        self._aws = aws
        self._policy = policy
        self._available: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._unanswered: set[str] = set()

    async def choose(self, classification: Classification, account: str, region: str, scope: str) -> RuleGroup | None:
        """The group for ``classification`` (``None`` for not-web and unknown workloads)."""
        hint = _HINTS.get(classification)
        if hint is None:
            return None
        vendor = self._policy.rule_group_vendor
        for group in await self._listed(account, region, scope):
            if group.get("VendorName") == vendor and hint.search(f"{group['Name']} {group.get('Description', '')}"):
                return RuleGroup(vendor, str(group["Name"]))
        if classification is Classification.WEB_APPLICATION:
            return RuleGroup(vendor, self._policy.web_application_rule_group)
        return RuleGroup(vendor, self._policy.web_server_rule_group)

    async def _listed(self, account: str, region: str, scope: str) -> list[dict[str, Any]]:
        key = (account, region, scope)
        if account in self._unanswered:
            return []
        if key not in self._available:
            self._available[key] = await self._list(account, region, scope)
        return self._available[key]

    async def _list(self, account: str, region: str, scope: str) -> list[dict[str, Any]]:
        wafv2 = await self._aws.client("wafv2", account=account, region=region)
        groups: list[dict[str, Any]] = []
        params: dict[str, Any] = {"Scope": scope, "Limit": 100}
        try:
            while True:
                answer = await wafv2.list_available_managed_rule_groups(**params)
                groups += answer.get("ManagedRuleGroups", [])
                if not answer.get("NextMarker"):
                    return groups
                params["NextMarker"] = answer["NextMarker"]
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            log.info("waf_rule_groups_not_listed", account=account, scope=scope, error=code or type(error).__name__)
            self._unanswered.add(account)
            return []
