"""The instance tags that notification routes look at, added to each notice while planning.

Read with EC2 DescribeInstances in the finding's account and region (through the access layer),
cached per instance; only the tag keys some route names are read and carried. A tag that cannot be
read leaves the notice to the routes by account and severity, and says so in the log.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from wsbridge.consumer.actions import Notify
from wsbridge.consumer.aws_roles import AssumeRoleFailed
from wsbridge.consumer.handler import Plan
from wsbridge.consumer.routing import routing_table
from wsbridge.consumer.workload_security.cache import TtlCache

if TYPE_CHECKING:
    from wsbridge.consumer.handler import HandlerContext

TAG_CACHE_SECONDS = 300
_tags: TtlCache[tuple[str, str, str], dict[str, str]] = TtlCache(TAG_CACHE_SECONDS)


async def with_routing_tags(plan: Plan, context: HandlerContext) -> Plan:
    """The plan with ``details["tags"]`` on each notice about an instance, when routes look at tags."""
    keys = routing_table(context.settings).tag_keys
    if not keys or not any(isinstance(action, Notify) for action in plan.actions):
        return plan
    actions = []
    for action in plan.actions:
        if isinstance(action, Notify) and all(action.details.get(k) for k in ("instance_id", "account", "region")):
            tags = await _instance_tags(context, action.details)
            action = dataclasses.replace(
                action, details={**action.details, "tags": {key: tags[key] for key in keys if key in tags}}
            )
        actions.append(action)
    return dataclasses.replace(plan, actions=tuple(actions))


async def _instance_tags(context: HandlerContext, details: dict[str, Any]) -> dict[str, str]:
    key = (str(details["account"]), str(details["region"]), str(details["instance_id"]))

    async def load() -> dict[str, str]:
        ec2 = await context.services.aws_clients().client("ec2", account=key[0], region=key[1])
        answer = await ec2.describe_instances(InstanceIds=[key[2]])
        instances = [item for reservation in answer["Reservations"] for item in reservation["Instances"]]
        return {tag["Key"]: tag["Value"] for instance in instances for tag in instance.get("Tags", [])}

    try:
        return await _tags.get_or_load(key, load)
    except (ClientError, BotoCoreError, AssumeRoleFailed) as error:
        context.log.warning(
            "instance tags not read; routing by account and severity", instance_id=key[2], error=str(error)
        )
        return {}
