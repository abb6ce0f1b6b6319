"""The actions a handler may plan. Each one knows how to run itself against :class:`Services`.

``coalesce_key`` names the target of a mutating action: the executor runs one action per key within
the coalescing window, so a burst of findings about one computer costs one scan, not one per finding.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from wsbridge.consumer.services import Services
    from wsbridge.consumer.workload_security.models import Computer


_SCALARS = (str, int, float, bool, type(None))


class Action(ABC):
    """Base of every planned action."""

    kind: ClassVar[str]

    @property
    def coalesce_key(self) -> str | None:
        """Key shared by actions that need to run only once per window; ``None`` never coalesces."""
        return None

    def runs_after(self, earlier: Action) -> bool:
        """Whether this action waits for ``earlier``, planned before it in the same plan. By default it
        does (a plan runs in order); actions that need nothing from earlier ones say so."""
        return True

    @abstractmethod
    async def run(self, services: Services) -> None:
        """Carry the action out."""

    def first_attempt(self) -> Action:
        """This action when nothing can have started it before (a first delivery, no claim taken over);
        by default the same action."""
        return self

    async def run_unless_recorded(self, services: Services, since_ms: int | None) -> bool:
        """Run unless the target already records this action's effect at or after ``since_ms`` (epoch ms;
        ``None``: run). True when it ran. The default knows no such record and always runs."""
        await self.run(services)
        return True

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description for logs, ``replay`` and dry run."""
        if not is_dataclass(self):
            return {"action": self.kind}
        values = {each.name: getattr(self, each.name) for each in fields(self)}
        if not all(isinstance(value, _SCALARS) for value in values.values()):
            values = asdict(self)
        return {"action": self.kind, **values}


async def _run_unless_scanned(
    action: RunIntegrityScan | RunMalwareScan,
    services: Services,
    since_ms: int | None,
    last_scan: Callable[[Computer], int | None],
) -> bool:
    """The scan date comes from the computer the plan's lookup read (a fresh read without one): a
    stale date can only cost one scan more, never one less. Without ``since_ms`` (no coalescing) the
    date only serves to recognise the scan's own start when the create's answer is lost."""
    client = services.workload_security()
    date = last_scan(await client.get_computer(action.computer_id, fresh=False))
    if since_ms is not None and (date or 0) >= since_ms:
        return False
    if isinstance(action, RunIntegrityScan):
        await client.run_integrity_scan(action.computer_id, last_scan=date)
    else:
        await client.run_malware_scan(action.computer_id, last_scan=date)
    return True


@dataclass(frozen=True, slots=True)
class RunRecommendationScan(Action):
    """Run a recommendation scan on one computer (and apply the results when ``apply`` is set)."""

    kind: ClassVar[str] = "recommendation_scan"
    computer_id: int
    apply: bool = True
    integrity_rules: bool = False
    """Applying the results also changes integrity monitoring rules (``WSBRIDGE_WS_RECOMMENDATION_MODULES=all``)."""
    resume: bool = True
    """An earlier attempt may have started this scan: look for its task in WS before starting one."""

    @property
    def coalesce_key(self) -> str:
        """One recommendation scan per computer per window."""
        return f"{self.kind}:{self.computer_id}"

    @property
    def changes_integrity_rules(self) -> bool:
        """Whether applying the results changes the computer's integrity monitoring rules."""
        return self.apply and self.integrity_rules

    def runs_after(self, earlier: Action) -> bool:
        """Needs nothing from earlier actions."""
        return False

    def first_attempt(self) -> RunRecommendationScan:
        """No earlier attempt can have started this scan: no need to look for one in WS."""
        return replace(self, resume=False)

    def describe(self) -> dict[str, Any]:
        """What is planned (``resume`` is how it runs, not what)."""
        described = Action.describe(self)
        described.pop("resume", None)
        return described

    async def run(self, services: Services) -> None:
        """Start the scan through a run-now scheduled task."""
        await services.workload_security().run_recommendation_scan(
            self.computer_id, apply=self.apply, resume=self.resume
        )

    async def run_unless_recorded(self, services: Services, since_ms: int | None) -> bool:
        """Workload Security records when the computer's last recommendation scan finished: a scan that
        finished at or after ``since_ms`` is not started again (its recommendations are still applied)."""
        if since_ms is None:
            await self.run(services)
            return True
        client = services.workload_security()
        current = await client.computer_ips_assignments(self.computer_id)
        if (current.last_recommendation_scan_date or 0) < since_ms:
            last_scan = current.last_recommendation_scan_date
            await client.run_recommendation_scan(
                self.computer_id, apply=self.apply, last_scan=last_scan, resume=self.resume
            )
            return True
        if self.apply:
            await client.apply_recommendations(self.computer_id, current)
        return False


@dataclass(frozen=True, slots=True)
class RunIntegrityScan(Action):
    """Run an integrity monitoring scan on one computer."""

    kind: ClassVar[str] = "integrity_scan"
    computer_id: int

    @property
    def coalesce_key(self) -> str:
        """One integrity scan per computer per window."""
        return f"{self.kind}:{self.computer_id}"

    def runs_after(self, earlier: Action) -> bool:
        """Waits only for a recommendation scan of the same computer whose results change its
        integrity monitoring rules (the scan must check the rules that will be in effect)."""
        return (
            isinstance(earlier, RunRecommendationScan)
            and earlier.computer_id == self.computer_id
            and earlier.changes_integrity_rules
        )

    async def run(self, services: Services) -> None:
        """Start the scan through a run-now scheduled task."""
        await services.workload_security().run_integrity_scan(self.computer_id)

    async def run_unless_recorded(self, services: Services, since_ms: int | None) -> bool:
        """Not started again when the computer's ``last_integrity_scan`` is at or after ``since_ms``."""
        return await _run_unless_scanned(
            self,
            services,
            since_ms,
            lambda c: c.integrity_monitoring.last_integrity_scan if c.integrity_monitoring else None,
        )


@dataclass(frozen=True, slots=True)
class RunMalwareScan(Action):
    """Run an anti-malware scan on one computer."""

    kind: ClassVar[str] = "malware_scan"
    computer_id: int

    @property
    def coalesce_key(self) -> str:
        """One malware scan per computer per window."""
        return f"{self.kind}:{self.computer_id}"

    def runs_after(self, earlier: Action) -> bool:
        """Needs nothing from earlier actions."""
        return False

    async def run(self, services: Services) -> None:
        """Start the scan through a run-now scheduled task."""
        await services.workload_security().run_malware_scan(self.computer_id)

    async def run_unless_recorded(self, services: Services, since_ms: int | None) -> bool:
        """Not started again when the computer's ``last_manual_scan`` is at or after ``since_ms``."""
        return await _run_unless_scanned(
            self, services, since_ms, lambda c: c.anti_malware.last_manual_scan if c.anti_malware else None
        )


@dataclass(frozen=True, slots=True)
class AssignIpsRules(Action):
    """Add Intrusion Prevention rules to a policy (or, with ``computer_id``, to one computer)."""

    kind: ClassVar[str] = "assign_ips_rules"
    rule_ids: tuple[int, ...]
    policy_id: int | None = None
    computer_id: int | None = None
    cve: str | None = None

    @property
    def coalesce_key(self) -> str:
        """The same rules on the same policy or computer are assigned once per window."""
        owner = f"policy:{self.policy_id}" if self.policy_id is not None else f"computer:{self.computer_id}"
        return f"{self.kind}:{owner}:{','.join(map(str, sorted(self.rule_ids)))}"

    def runs_after(self, earlier: Action) -> bool:
        """Needs nothing from earlier actions."""
        return False

    async def run(self, services: Services) -> None:
        """Add the rules without touching the ones already assigned."""
        client = services.workload_security()
        if self.policy_id is not None:
            await client.assign_ips_rules_to_policy(self.policy_id, list(self.rule_ids))
        elif self.computer_id is not None:
            await client.assign_ips_rules_to_computer(self.computer_id, list(self.rule_ids))
        else:
            raise ValueError("AssignIpsRules needs a policy_id or a computer_id")


@dataclass(frozen=True, slots=True)
class Notify(Action):
    """Tell people about something wsbridge could not fix itself (SNS and/or webhook, else the log)."""

    kind: ClassVar[str] = "notify"
    topic: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None

    @property
    def coalesce_key(self) -> str | None:
        """Notifications with the same key are sent once per window."""
        return f"{self.kind}:{self.dedupe_key}" if self.dedupe_key else None

    async def run(self, services: Services) -> None:
        """Publish through the configured notifier."""
        await services.notifier().send(self.topic, self.subject, self.details)
