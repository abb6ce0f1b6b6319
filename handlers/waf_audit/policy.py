"""The ``[handlers.waf_audit]`` table."""

from __future__ import annotations

from pydantic import Field

from wsbridge.handlers._shared.policy import Policy

NAME_PATTERN = r"^[\w-]{1,128}$"


class WafAuditPolicy(Policy):
    """Whether a scheduled audit applies what it recommends, and which Trend Micro rule groups it knows."""

    apply: bool = False
    rule_group_vendor: str = Field("Trend Micro", min_length=1, max_length=128)
    web_server_rule_group: str = Field("TrendMicro-WebServer", pattern=NAME_PATTERN)
    web_application_rule_group: str = Field("TrendMicro-CMS", pattern=NAME_PATTERN)
