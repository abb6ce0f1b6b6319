"""Running EC2 instances against Workload Security: protected, partly protected, unmanaged or unknown.

Instances are read through the AWS access layer in each account and region (the member role
elsewhere than the daemon's own account); each is looked up in Workload Security and judged by
:func:`~wsbridge.consumer.workload_security.protection_verdict`, the one place that decides protection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.workload_security import protection_verdict

if TYPE_CHECKING:
    from wsbridge.consumer.aws import AwsClients
    from wsbridge.consumer.workload_security import Computer, WorkloadSecurityClient


class Coverage(StrEnum):
    """How well Workload Security covers one running instance."""

    PROTECTED = "protected"
    PARTLY_PROTECTED = "partly_protected"
    UNMANAGED = "unmanaged"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class InstanceCoverage:
    """One running instance and its coverage."""

    instance_id: str
    name: str | None
    coverage: Coverage
    account: str
    region: str
    computer_id: int | None = None
    missing_modules: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``wsbridge coverage`` line."""
        return {
            "account": self.account,
            "region": self.region,
            "instance_id": self.instance_id,
            "name": self.name,
            "coverage": self.coverage.value,
            "computer_id": self.computer_id,
            "missing_modules": self.missing_modules,
            "reasons": self.reasons,
        }


class CoverageWalk:
    """Walks accounts and regions; ``on_progress(account, region, instances_so_far)`` after each page."""

    def __init__(
        self, aws: AwsClients, ws: WorkloadSecurityClient, on_progress: Callable[[str, str, int], None]
    ) -> None:
        """Each page of instances is looked up in Workload Security at once; the WS client paces and caches."""
        self._aws = aws
        self._ws = ws
        self._on_progress = on_progress

    async def instances(self, account: str, region: str) -> AsyncIterator[InstanceCoverage]:
        """Every running instance in ``account`` and ``region``, judged."""
        ec2 = await self._aws.client("ec2", account=account, region=region)
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
        )
        seen = 0
        async for page in pages:
            found = [instance for reservation in page["Reservations"] for instance in reservation["Instances"]]
            judged = await self._judge_page(account, region, found)
            seen += len(judged)
            self._on_progress(account, region, seen)
            for item in judged:
                yield item

    async def _judge_page(self, account: str, region: str, found: list[dict[str, Any]]) -> list[InstanceCoverage]:
        by_instance = await self._ws.find_computers_by_instance_ids([str(item["InstanceId"]) for item in found])
        return [
            await self._judge(account, region, item, by_instance.get(str(item["InstanceId"]), [])) for item in found
        ]

    async def _judge(
        self, account: str, region: str, instance: dict[str, Any], computers: list[Computer]
    ) -> InstanceCoverage:
        instance_id = str(instance["InstanceId"])
        name = next((tag["Value"] for tag in instance.get("Tags", []) if tag["Key"] == "Name"), None)
        if not computers:
            return InstanceCoverage(instance_id, name, Coverage.UNKNOWN, account, region)
        computer = computers[0]
        verdict = protection_verdict(computer, await self._ws.computer_policy(computer))
        coverage = {"full": Coverage.PROTECTED, "partial": Coverage.PARTLY_PROTECTED}.get(
            verdict.grade, Coverage.UNMANAGED
        )
        missing = [module for module in verdict.required if not verdict.modules[module].protected]
        if coverage is not Coverage.PARTLY_PROTECTED:
            missing = []
        return InstanceCoverage(
            instance_id, name, coverage, account, region, computer.id, missing, list(verdict.reasons)
        )
