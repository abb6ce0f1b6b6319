"""The answer to a rule invocation: evaluations of the instance (or, periodic, of every instance).

Reads only: the oversized item through ``GetResourceConfigHistory``, the account's instances through
``DescribeInstances`` (both in the rule's account and region), and the instances in Workload
Security (looked up together, cached). The answer is ``config_evaluation`` actions of at most 100
evaluations each, which the executor puts with the invocation's result token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from wsbridge.consumer.handler import Plan
from wsbridge.handlers._shared.instances import look_up_many
from wsbridge.handlers._shared.times import canonical_time, parse_time
from wsbridge.handlers.config_rules.checks import NOT_APPLICABLE, Check
from wsbridge.handlers.config_rules.evaluations import Evaluation, batches
from wsbridge.handlers.config_rules.events import DELETED_STATUSES, EC2_INSTANCE

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext
    from wsbridge.handlers.config_rules.invocation import Invocation

LIVE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]


async def plan_invocation(invocation: Invocation, *, test_mode: bool, context: HandlerContext) -> Plan:
    """The evaluations that answer ``invocation``."""
    when = ordering_timestamp(invocation.ordering_timestamp)
    evaluations: list[Evaluation]
    if invocation.answer is not None:
        evaluations = [_not_applicable(invocation.resource_type, invocation.resource_id, invocation.answer, when)]
    elif invocation.periodic:
        instance_ids = await account_instances(invocation, context)
        evaluations = await _judged(invocation.check, instance_ids, when, context)
    else:
        evaluations = await _item(invocation, when, context)
    actions = batches(
        evaluations,
        rule=invocation.rule,
        account=invocation.account,
        region=invocation.region,
        token=invocation.result_token,
        test_mode=test_mode,
    )
    return Plan.of(actions, otherwise=f"no EC2 instances in account {invocation.account} {invocation.region}")


def ordering_timestamp(text: str) -> str:
    """The invocation's own time (``YYYY-MM-DDTHH:MM:SSZ``), or now when it has none."""
    parsed = parse_time(text) if text else None
    return canonical_time(text) if parsed else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def account_instances(invocation: Invocation, context: HandlerContext) -> list[str]:
    """Every instance of the rule's account and region that is not terminated (DescribeInstances pages)."""
    ec2 = await context.services.aws_clients().client("ec2", account=invocation.account, region=invocation.region)
    instance_ids: list[str] = []
    async for page in ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": LIVE_STATES}], PaginationConfig={"PageSize": 1000}
    ):
        for reservation in page.get("Reservations", []):
            instance_ids += [str(item["InstanceId"]) for item in reservation.get("Instances", [])]
    return instance_ids


async def _item(invocation: Invocation, when: str, context: HandlerContext) -> list[Evaluation]:
    if invocation.oversized:
        item = await _recorded_item(invocation, context)
        status = str(item.get("configurationItemStatus", ""))
        if status in DELETED_STATUSES:
            reason = f"not applicable: {invocation.resource_id} was deleted ({status})"
            return [_not_applicable(EC2_INSTANCE, invocation.resource_id, reason, when)]
    return await _judged(invocation.check, [invocation.resource_id], when, context)


async def _recorded_item(invocation: Invocation, context: HandlerContext) -> dict[str, Any]:
    """The latest recorded item of an oversized notification; empty when Config has not recorded one."""
    config = await context.services.aws_clients().client("config", account=invocation.account, region=invocation.region)
    try:
        answer = await config.get_resource_config_history(
            resourceType=invocation.resource_type, resourceId=invocation.resource_id, limit=1
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotDiscoveredException":
            return {}
        raise
    items: list[dict[str, Any]] = answer.get("configurationItems") or []
    return items[0] if items else {}


async def _judged(check: Check | None, instance_ids: list[str], when: str, context: HandlerContext) -> list[Evaluation]:
    if not instance_ids:
        return []
    rule_check = check or Check("protected")
    known = await look_up_many(instance_ids, context.services.workload_security())
    evaluations = []
    for instance_id in instance_ids:
        verdict = rule_check.judge(instance_id, known.get(instance_id))
        evaluations.append(Evaluation(EC2_INSTANCE, instance_id, verdict.compliance, verdict.annotation, when))
    return evaluations


def _not_applicable(resource_type: str, resource_id: str, reason: str, when: str) -> Evaluation:
    return Evaluation(resource_type, resource_id, NOT_APPLICABLE, reason.removeprefix("not applicable: "), when)
