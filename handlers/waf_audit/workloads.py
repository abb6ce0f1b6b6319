"""The Workload Security side of the audit: computers of instances, and the class of each policy.

One run asks for each instance once (the WS client also caches), each policy's IPS assignments
once, and the application type catalogue once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wsbridge.handlers._shared.instances import KnownInstance, look_up
from wsbridge.handlers.waf_audit.classify import Classification, classify

if TYPE_CHECKING:
    from wsbridge.consumer.workload_security import WorkloadSecurityClient


class Workloads:
    """Per-run reads of Workload Security: instance -> computer, policy -> classification."""

    def __init__(self, ws: WorkloadSecurityClient) -> None:
        """Nothing is read until asked."""
        self._ws = ws
        self._computers: dict[str, KnownInstance | None] = {}
        self._classes: dict[int, Classification] = {}
        self._type_names: dict[int, str] | None = None

    async def load(self, instance_ids: Iterable[str]) -> None:
        """Look up every instance not looked up yet, and classify the policies they use."""
        wanted = sorted(set(instance_ids) - set(self._computers))
        found = await asyncio.gather(*(look_up(instance_id, self._ws) for instance_id in wanted))
        self._computers.update(zip(wanted, found, strict=True))
        for policy_id in sorted({known.policy_id for known in found if known and known.policy_id} - set(self._classes)):
            self._classes[policy_id] = await self._classify(policy_id)

    def computer(self, instance_id: str) -> KnownInstance | None:
        """The computer of an instance loaded before (``None`` when WS does not know it)."""
        return self._computers.get(instance_id)

    def classification(self, policy_id: int | None) -> Classification:
        """The class of a policy classified before; ``unknown`` for none."""
        return self._classes.get(policy_id, Classification.UNKNOWN) if policy_id else Classification.UNKNOWN

    async def _classify(self, policy_id: int) -> Classification:
        assignments = await self._ws.policy_ips_assignments(policy_id)
        names = await self._names()
        return classify(names.get(type_id, "") for type_id in assignments.assigned_application_type_ids)

    async def _names(self) -> dict[int, str]:
        if self._type_names is None:
            types = await self._ws.list_application_types()
            self._type_names = {item.id: item.name or "" for item in types}
        return self._type_names
