"""Which Workload Security computer an EC2 instance is, and how well it is protected.

Reads only (through the WS client, which caches instance and policy lookups). An instance id that
cannot be an EC2 id, or that no computer reports, is *unknown*: the plans tell people about it
instead of failing. Retryable WS errors propagate, so the pipeline retries the message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wsbridge.consumer.workload_security import protection_verdict

if TYPE_CHECKING:
    from wsbridge.consumer.workload_security import Computer, Policy, ProtectionVerdict, WorkloadSecurityClient

_INSTANCE_ID = re.compile(r"i-[0-9a-zA-Z]{1,64}")


@dataclass(frozen=True, slots=True)
class KnownInstance:
    """An instance Workload Security knows: its best computer, that computer's policy, and the verdict."""

    instance_id: str
    computer: Computer
    policy: Policy | None
    verdict: ProtectionVerdict

    @property
    def computer_id(self) -> int:
        """The computer's ID."""
        return self.computer.id

    @property
    def name(self) -> str:
        """The computer's display name, else its host name, else ``computer <ID>``."""
        return self.computer.display_name or self.computer.host_name or f"computer {self.computer.id}"

    @property
    def policy_id(self) -> int | None:
        """The computer's policy, ``None`` when it has none."""
        return self.computer.policy_id if self.computer.has_policy else None


async def look_up(instance_id: str, ws: WorkloadSecurityClient) -> KnownInstance | None:
    """The computer for ``instance_id`` (the best of several), or ``None`` when Workload Security does not know it."""
    if not _INSTANCE_ID.fullmatch(instance_id.strip()):
        return None
    return await _known(instance_id, await ws.find_computers_by_instance_id(instance_id), ws)


async def look_up_many(instance_ids: Sequence[str], ws: WorkloadSecurityClient) -> dict[str, KnownInstance | None]:
    """:func:`look_up` for many instances at once (one walk over the computers when many are uncached)."""
    found = await ws.find_computers_by_instance_ids(instance_ids)
    return {key: await _known(key, found.get(key.strip(), []), ws) for key in instance_ids}


async def _known(instance_id: str, computers: Sequence[Computer], ws: WorkloadSecurityClient) -> KnownInstance | None:
    if not computers:
        return None
    computer = computers[0]
    policy = await ws.computer_policy(computer)
    return KnownInstance(instance_id, computer, policy, protection_verdict(computer, policy))
