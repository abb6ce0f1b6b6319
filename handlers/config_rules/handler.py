"""The AWS Config handler: compliance changes, configuration item changes and custom-rule invocations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsbridge.consumer.envelope import CONFIG_RULE_INVOCATION
from wsbridge.consumer.handler import Plan, Triage
from wsbridge.handlers._shared.handler import PolicyHandler
from wsbridge.handlers.config_rules.events import (
    COMPLIANCE_CHANGE,
    ITEM_CHANGE,
    NOT_IMPLEMENTED,
    ConfigRulesPolicy,
    triage_compliance,
    triage_invocation,
    triage_item_change,
)

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

ROUTES = {
    COMPLIANCE_CHANGE: triage_compliance,
    ITEM_CHANGE: triage_item_change,
    CONFIG_RULE_INVOCATION: triage_invocation,
}


class ConfigRulesHandler(PolicyHandler[ConfigRulesPolicy]):
    """Config events are read and checked; nothing answers them yet, so each is skipped with the reason."""

    name = "config_rules"
    sources = {detail_type: ("aws.config",) for detail_type in ROUTES}
    policy_model = ConfigRulesPolicy

    def assess(self, event: Event) -> Triage:
        """Route by detail-type; only EC2 instances are considered."""
        return ROUTES[event.detail_type](event)

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """Nothing: every Config event is skipped at triage."""
        return Plan.nothing(NOT_IMPLEMENTED)
