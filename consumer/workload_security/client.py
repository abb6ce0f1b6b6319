"""The async Workload Security (Deep Security) API v1 client used by handlers and actions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

import structlog

from wsbridge.consumer.settings import Settings
from wsbridge.consumer.workload_security.auth import ApiKey, KeySource
from wsbridge.consumer.workload_security.backoff import Backoff
from wsbridge.consumer.workload_security.breaker import BreakerState, CircuitBreaker
from wsbridge.consumer.workload_security.cache import TtlCache
from wsbridge.consumer.workload_security.computers import ComputerLookup, expand
from wsbridge.consumer.workload_security.errors import NotFoundError
from wsbridge.consumer.workload_security.ips import IpsRuleCatalogue, add_ips_rules, ips_assignments
from wsbridge.consumer.workload_security.models import (
    ApplicationType,
    Computer,
    IpsAssignments,
    IpsRule,
    Policy,
    with_ips_rules,
)
from wsbridge.consumer.workload_security.options import ClientOptions, RecommendationMode, RecommendationModules
from wsbridge.consumer.workload_security.ratelimit import CallBudget, SlidingWindowLimiter
from wsbridge.consumer.workload_security.recommendations import APPLIED, AUTO_APPLY_SETTINGS, apply_recommendations
from wsbridge.consumer.workload_security.scans import UNREAD, ScanRunner, Unread
from wsbridge.consumer.workload_security.search import Criterion, search_filter, search_pages
from wsbridge.consumer.workload_security.transport import Transport, breaker_gauge

log = structlog.get_logger(__name__)


class WorkloadSecurityClient:
    """One client per process, shared by all workers (its rate limit and breaker are shared too)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        options: ClientOptions | None = None,
        *,
        budget: CallBudget | None = None,
        key_source: KeySource | None = None,
    ) -> None:
        """``budget``: a rate budget shared with other processes, on top of this client's own limit;
        ``key_source`` reads the key again (after a 401, and every ``api_key_refresh_seconds``)."""
        self.options = opts = options or ClientOptions()
        self._transport = Transport(
            base_url,
            opts,
            ApiKey(api_key, key_source, opts.api_key_refresh_seconds),
            backoff=Backoff(opts.retry_base_seconds, opts.retry_max_seconds, opts.retry_after_cap_seconds),
            limiter=SlidingWindowLimiter(opts.rate_limit_per_minute, opts.rate_limit_window_seconds),
            breaker=CircuitBreaker(opts.breaker_failures, opts.breaker_reset_seconds, on_change=breaker_gauge),
            budget=budget,
        )
        self._computers = ComputerLookup(self._transport, opts.cache_ttl_seconds)
        self._policies: TtlCache[int, Policy] = TtlCache(opts.cache_ttl_seconds)
        self._rules = IpsRuleCatalogue(self._transport, opts.rule_cache_ttl_seconds)
        self._scans = ScanRunner(
            self._transport,
            wait_seconds=opts.scan_wait_seconds,
            poll_seconds=opts.scan_poll_seconds,
            resume_window_seconds=opts.resume_window_seconds,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        api_key: str,
        budget: CallBudget | None = None,
        key_source: KeySource | None = None,
        **overrides: Any,
    ) -> WorkloadSecurityClient:
        """A client configured by the ``ws_*`` settings; ``overrides`` replace :class:`ClientOptions` fields."""
        options = ClientOptions.from_settings(
            settings, **{"resume_window_seconds": float(settings.coalesce_window_seconds), **overrides}
        )
        return cls(settings.ws_url, api_key, options, budget=budget, key_source=key_source)

    def __repr__(self) -> str:
        return f"WorkloadSecurityClient({self._transport!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def flush_task_cleanup(self, within_seconds: float) -> None:
        """Send the scan task deletes still waiting for spare budget, within ``within_seconds``; the
        IDs of tasks left are logged (``ws_task_cleanup_left``)."""
        await self._scans.cleanup.flush(within_seconds)

    async def close(self) -> None:
        """Close the HTTP session; calls made afterwards fail."""
        await self._scans.cleanup.close()
        self._computers.cancel_warming()
        await self._transport.close()

    @property
    def circuit_open(self) -> bool:
        """True while the breaker refuses calls (the API kept failing); the poller stops receiving."""
        return self._transport.breaker.is_open

    @property
    def probing(self) -> bool:
        """Half-open: the next call probes the API; until one succeeds, take on one message at a time."""
        return self._transport.breaker.state is BreakerState.HALF_OPEN

    @property
    def throttled_for(self) -> float:
        """Seconds all calls are held because the manager answered 429 (0 when not throttled)."""
        return self._transport.limiter.paused_for

    @property
    def paused(self) -> bool:
        """Circuit open or throttled: work started now would only wait or fail."""
        return self.circuit_open or self.throttled_for > 0

    async def check(self) -> None:
        """One cheap authenticated read, no retries; raises :class:`WorkloadSecurityError` on failure."""
        await self._transport.request(
            "check",
            "POST",
            "/computers/search",
            body=search_filter([], max_items=1),
            params=expand("none"),
            max_attempts=1,
        )

    async def find_computers_by_instance_id(self, instance_id: str) -> list[Computer]:
        """Computers for an EC2 instance, best first (managed and active, then latest contact, then ID).

        Connector records (``ec2VirtualMachineSummary/instanceID``) are searched first, agent-reported
        ones (``noConnectorVirtualMachineSummary/instanceID``) only when there are none. Empty when
        Workload Security does not know the instance. Cached for ``cache_ttl_seconds``.
        """
        return await self._computers.by_instance_id(instance_id)

    async def find_computers_by_instance_ids(self, instance_ids: Sequence[str]) -> dict[str, list[Computer]]:
        """:meth:`find_computers_by_instance_id` for many instances (ids that cannot be EC2 ids are left
        out); many uncached ones are answered by one walk over every computer instead of a search each."""
        return await self._computers.by_instance_ids(instance_ids)

    def warm_instance_lookups(self, instance_ids: Sequence[str]) -> None:
        """Start looking many uncached instances up at once (one walk over the computers, while they
        fit in five pages, caching every instance it sees), so the findings about them need no search
        each; their lookups wait for it. Fewer than a few uncached ones are left to their findings,
        unless a walk is under way. Failures are logged."""
        self._computers.start_warming(instance_ids)

    async def get_computer(self, computer_id: int, *, fresh: bool = True) -> Computer:
        """One computer, with the sections the verdict needs expanded: a fresh read, or (not ``fresh``)
        the one an instance lookup read within ``cache_ttl_seconds`` when there is one."""
        cached = None if fresh else self._computers.cached(computer_id)
        return cached if cached is not None else await self._computers.by_id(computer_id)

    async def get_policy(self, policy_id: int) -> Policy:
        """One policy, inherited settings and rules included (cached for ``cache_ttl_seconds``)."""
        return await self._policies.get_or_load(policy_id, partial(self._read_policy, policy_id))

    async def computer_policy(self, computer: Computer) -> Policy | None:
        """The computer's policy, or ``None`` when it has none or the policy no longer exists."""
        if not (computer.has_policy and computer.policy_id):
            return None
        try:
            return await self.get_policy(computer.policy_id)
        except NotFoundError:
            return None

    async def run_recommendation_scan(
        self, computer_id: int, *, apply: bool = True, last_scan: int | Unread | None = UNREAD, resume: bool = True
    ) -> None:
        """Scan ``computer_id`` for recommendations; with ``apply``, apply them before returning.

        ``assign`` mode waits for the scan (up to ``scan_wait_seconds``, else a retryable
        :class:`ScanTimeoutError`), then applies the recommendations (:meth:`apply_recommendations`). A
        scan started earlier and not yet applied (a retried message) is waited for, not started again.
        ``auto-apply`` mode only scans when the computer's effective auto-apply setting of every applied
        module is ``Yes`` (the manager applies), and otherwise behaves like ``assign``.
        ``last_scan``: the computer's ``lastRecommendationScanDate`` when the caller just read it.
        ``resume`` (an earlier attempt may have started the scan) looks for its task in WS; without it
        only this process's records are asked (see :meth:`ScanRunner.running_recommendation`).
        """
        if not apply:
            await self._scans.start("recommendation", computer_id, last_scan=last_scan)
            return
        if self.options.recommendations is RecommendationMode.AUTO_APPLY and await self._auto_applies(computer_id):
            await self._scans.start("recommendation", computer_id, last_scan=last_scan)
            self._computers.forget(computer_id)
            return
        scan = await self._scans.running_recommendation(computer_id, search=resume)
        started = scan is None
        if scan is None:
            if last_scan is UNREAD:
                last_scan = (await self.computer_ips_assignments(computer_id)).last_recommendation_scan_date
            scan = await self._scans.start_recommendation(computer_id, last_scan)
        else:
            log.info("ws_scan_resumed", kind="recommendation", computer_id=computer_id, newer_than=scan.newer_than)
        after = await self._scans.wait_for_recommendations(
            computer_id, newer_than=scan.newer_than, just_started=started
        )
        await self.apply_recommendations(computer_id, after)
        await self._scans.finish_recommendation(computer_id, scan)

    async def apply_recommendations(self, computer_id: int, ips: IpsAssignments | None = None) -> None:
        """Apply the computer's current recommendations of the ``recommendation_modules`` (IPS, or also
        integrity monitoring and log inspection): add the recommended rules and, with
        ``recommendation_unassign``, remove the rules recommended for un-assignment; nothing else.

        ``ips``: the IPS assignments already read after the scan (not read again).
        """
        await apply_recommendations(
            self._transport,
            computer_id,
            self.options.recommendation_modules,
            unassign=self.options.recommendation_unassign,
            known={"intrusionprevention": ips} if ips is not None else None,
        )
        options = self.options
        only_added = options.recommendation_modules is RecommendationModules.IPS and not options.recommendation_unassign
        if ips is not None and only_added:
            self._computers.added_ips_rules(ips.recommended_to_assign_rule_ids, computer_id)
        else:
            self._computers.forget(computer_id)

    async def run_integrity_scan(self, computer_id: int, *, last_scan: int | Unread | None = UNREAD) -> None:
        """Start an integrity monitoring scan on ``computer_id`` (``last_scan``: its date of the last one,
        when the caller just read it)."""
        await self._scans.start("integrity", computer_id, last_scan=last_scan)

    async def run_malware_scan(self, computer_id: int, *, last_scan: int | Unread | None = UNREAD) -> None:
        """Start an anti-malware (manual) scan on ``computer_id`` (``last_scan`` as for integrity scans)."""
        await self._scans.start("malware", computer_id, last_scan=last_scan)

    async def ips_rules_for_cve(self, cve: str) -> list[IpsRule]:
        """Rules listing ``cve`` exactly, followed by their ``dependsOnRuleIDs`` closure (cached)."""
        return await self._rules.rules_for_cve(cve)

    async def computer_ips_assignments(self, computer_id: int) -> IpsAssignments:
        """The computer's assigned (inherited included) and recommended IPS rules."""
        return await ips_assignments(self._transport, "computers", computer_id)

    async def policy_ips_assignments(self, policy_id: int) -> IpsAssignments:
        """The policy's assigned IPS rules (inherited included)."""
        return await ips_assignments(self._transport, "policies", policy_id)

    async def assign_ips_rules_to_policy(self, policy_id: int, rule_ids: list[int]) -> None:
        """Add ``rule_ids`` to the policy; rules already assigned stay assigned."""
        added = await add_ips_rules(self._transport, "policies", policy_id, rule_ids)
        if added is None:
            return
        now_assigned = [*rule_ids, *added.assigned_rule_ids]

        def with_added(policy: Policy) -> Policy | None:
            if policy.id != policy_id:
                return None
            return policy.model_copy(
                update={"intrusion_prevention": with_ips_rules(policy.intrusion_prevention, now_assigned)}
            )

        self._policies.update_where(with_added)
        self._computers.added_ips_rules(now_assigned, policy_id=policy_id)

    async def assign_ips_rules_to_computer(self, computer_id: int, rule_ids: list[int]) -> None:
        """Add ``rule_ids`` to the computer itself (an override of its policy); others stay assigned."""
        added = await add_ips_rules(self._transport, "computers", computer_id, rule_ids)
        if added is not None:
            self._computers.added_ips_rules([*rule_ids, *added.assigned_rule_ids], computer_id)

    async def list_application_types(self) -> list[ApplicationType]:
        """Every IPS application type."""
        return [ApplicationType.model_validate(item) async for item in self.iter_search("applicationtypes")]

    async def iter_search(
        self,
        resource: str,
        criteria: Sequence[Criterion] = (),
        *,
        page_size: int = 1000,
        expand_sections: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Every object of ``resource`` matching ``criteria``, paged by ID.

        ``resource`` is ``computers``, ``policies``, ``intrusionpreventionrules``, ``applicationtypes``
        or ``scheduledtasks``; ``expand_sections`` applies to computers.
        """
        async for page in search_pages(
            self._transport, resource, criteria, page_size=page_size, params=expand(*expand_sections)
        ):
            for item in page:
                yield item

    async def _read_policy(self, policy_id: int) -> Policy:
        return Policy.model_validate(await self._transport.request("get_policy", "GET", f"/policies/{policy_id}"))

    async def _auto_applies(self, computer_id: int) -> bool:
        answer = await self._transport.request(
            "get_computer", "GET", f"/computers/{computer_id}", params=expand("computerSettings")
        )
        computer = Computer.model_validate(answer)
        settings = (AUTO_APPLY_SETTINGS[module] for module in APPLIED[self.options.recommendation_modules])
        return all((computer.setting(name) or "").lower() in ("yes", "true") for name in settings)
