"""Rule assignments of a computer or policy, for the three modules with rules and recommendations.

``/{computers|policies}/{id}/{intrusionprevention|integritymonitoring|loginspection}/assignments``:
``GET`` reads the assigned and recommended rules, ``POST`` ``{"ruleIDs": [...]}`` adds rules (the server
adds; nothing is read-modified-written), ``DELETE .../assignments/{ruleID}`` removes one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeVar

import structlog

from wsbridge.consumer.workload_security.errors import InvalidRequestError
from wsbridge.consumer.workload_security.models import RuleAssignments
from wsbridge.consumer.workload_security.transport import Transport

log = structlog.get_logger(__name__)

Owner = Literal["computers", "policies"]
RuleModule = Literal["intrusionprevention", "integritymonitoring", "loginspection"]
RULE_MODULES: tuple[RuleModule, ...] = ("intrusionprevention", "integritymonitoring", "loginspection")
SHORT: dict[RuleModule, str] = {"intrusionprevention": "ips", "integritymonitoring": "im", "loginspection": "li"}
"""Module -> the short name in operation names (``add_computer_im_rules``)."""
SINGULAR: dict[Owner, str] = {"computers": "computer", "policies": "policy"}

A = TypeVar("A", bound=RuleAssignments)


def _operation(verb: str, module: RuleModule, owner: Owner, noun: str) -> str:
    return f"{verb}_{SINGULAR[owner]}_{SHORT[module]}_{noun}"


async def read_assignments(transport: Transport, module: RuleModule, owner: Owner, owner_id: int, model: type[A]) -> A:
    """``GET /{owner}/{id}/{module}/assignments``."""
    answer = await transport.request(
        _operation("get", module, owner, "assignments"), "GET", f"/{owner}/{owner_id}/{module}/assignments"
    )
    return model.model_validate(answer or {})


async def add_rules(
    transport: Transport, module: RuleModule, owner: Owner, owner_id: int, rule_ids: Sequence[int], model: type[A]
) -> A | None:
    """Add rules (sorted, de-duplicated; no call for none). Raises :class:`InvalidRequestError` if a
    requested rule is not assigned afterwards."""
    wanted = sorted(set(rule_ids))
    if not wanted:
        return None
    operation = _operation("add", module, owner, "rules")
    answer = await transport.request(
        operation, "POST", f"/{owner}/{owner_id}/{module}/assignments", body={"ruleIDs": wanted}
    )
    assignments = model.model_validate(answer or {})
    missing = set(wanted) - set(assignments.assigned_rule_ids)
    if missing:
        raise InvalidRequestError(f"rules not assigned after the call: {sorted(missing)}", operation=operation)
    log.info("ws_rules_assigned", module=module, owner=SINGULAR[owner], owner_id=owner_id, rule_ids=wanted)
    return assignments


async def remove_rule(transport: Transport, module: RuleModule, owner: Owner, owner_id: int, rule_id: int) -> bool:
    """Remove one rule; ``False`` (and a warning) when the manager still shows it assigned (inherited)."""
    answer = await transport.request(
        _operation("remove", module, owner, "rule"), "DELETE", f"/{owner}/{owner_id}/{module}/assignments/{rule_id}"
    )
    removed = rule_id not in RuleAssignments.model_validate(answer or {}).assigned_rule_ids
    event = "ws_rule_unassigned" if removed else "ws_rule_still_assigned"
    (log.info if removed else log.warning)(
        event, module=module, owner=SINGULAR[owner], owner_id=owner_id, rule_id=rule_id
    )
    return removed
