"""The async Workload Security (Deep Security) API v1 client used by handlers and actions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Self

import structlog

from consumer.settings import Settings
from consumer.workload_security.backoff import Backoff
from consumer.workload_security.breaker import CircuitBreaker
from consumer.workload_security.cache import TtlCache
from consumer.workload_security.errors import InvalidRequestError
from consumer.workload_security.ips import IpsRuleCatalogue, add_ips_rules, ips_assignments
from consumer.workload_security.models import ApplicationType, Computer, IpsAssignments, IpsRule, Policy
from consumer.workload_security.options import AUTO_APPLY_SETTING, ClientOptions, RecommendationMode
from consumer.workload_security.ratelimit import SlidingWindowLimiter
from consumer.workload_security.scans import ScanRunner
from consumer.workload_security.search import Criterion, search_filter, search_pages, string_equals
from consumer.workload_security.transport import ApiKey, Transport, TransportConfig, breaker_gauge

log = structlog.get_logger(__name__)

COMPUTER_EXPAND: tuple[str, ...] = (
    "computerStatus",
    "ec2VirtualMachineSummary",
    "noConnectorVirtualMachineSummary",
    "antiMalware",
    "webReputation",
    "firewall",
    "intrusionPrevention",
    "integrityMonitoring",
    "logInspection",
)
"""What the client expands on computer reads: identity, status and the modules the verdict looks at."""

EC2_INSTANCE_FIELD = "ec2VirtualMachineSummary/instanceID"
AGENT_INSTANCE_FIELD = "noConnectorVirtualMachineSummary/instanceID"
_INSTANCE_ID = re.compile(r"i-[0-9a-zA-Z]{1,64}")
_MAX_HITS = 25


def expand(*sections: str) -> list[tuple[str, str]]:
    """The repeated ``expand`` query parameter."""
    return [("expand", section) for section in sections]


class WorkloadSecurityClient:
    """One client per process, shared by all workers (its rate limit and breaker are shared too)."""

    def __init__(self, base_url: str, api_key: str, options: ClientOptions | None = None) -> None:
        self.options = options or ClientOptions()
        opts = self.options
        self._transport = Transport(
            TransportConfig(
                base_url=base_url,
                auth_scheme=opts.auth_scheme,
                verify_tls=opts.verify_tls,
                timeout_seconds=opts.timeout_seconds,
                max_connections=opts.max_connections,
                max_attempts=opts.max_attempts,
            ),
            ApiKey(api_key),
            backoff=Backoff(opts.retry_base_seconds, opts.retry_max_seconds, opts.retry_after_cap_seconds),
            limiter=SlidingWindowLimiter(opts.rate_limit_per_minute, opts.rate_limit_window_seconds),
            breaker=CircuitBreaker(opts.breaker_failures, opts.breaker_reset_seconds, on_change=breaker_gauge),
        )
        self._instances: TtlCache[str, tuple[Computer, ...]] = TtlCache(opts.cache_ttl_seconds)
        self._policies: TtlCache[int, Policy] = TtlCache(opts.cache_ttl_seconds)
        self._rules = IpsRuleCatalogue(self._transport, opts.rule_cache_ttl_seconds)
        self._scans = ScanRunner(
            self._transport, wait_seconds=opts.scan_wait_seconds, poll_seconds=opts.scan_poll_seconds
        )
        self._agent_field_searchable = True

    @classmethod
    def from_settings(cls, settings: Settings, *, api_key: str, **overrides: Any) -> WorkloadSecurityClient:
        """A client configured by the ``ws_*`` settings; ``overrides`` replace :class:`ClientOptions` fields."""
        return cls(settings.ws_url, api_key, ClientOptions.from_settings(settings, **overrides))

    def __repr__(self) -> str:
        return f"WorkloadSecurityClient({self._transport!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._transport.close()

    @property
    def circuit_open(self) -> bool:
        """True while the breaker refuses calls; the poller stops receiving meanwhile."""
        return self._transport.breaker.is_open

    @property
    def throttled_for(self) -> float:
        """Seconds all calls are held because the manager answered 429 (0 when not throttled)."""
        return self._transport.limiter.paused_for

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
        """Computers for an EC2 instance (connector record first, else agent-reported), best first.

        Best = managed with an active agent, then most recent agent contact, then lowest ID.
        Empty when Workload Security does not know the instance. Cached for ``cache_ttl_seconds``.
        """
        key = instance_id.strip()
        if not _INSTANCE_ID.fullmatch(key):
            raise InvalidRequestError(f"not an EC2 instance id: {instance_id!r}", operation="find_computers")
        return list(await self._instances.get_or_load(key, partial(self._lookup_instance, key)))

    async def get_computer(self, computer_id: int) -> Computer:
        """One computer (fresh read, with the sections in :data:`COMPUTER_EXPAND`)."""
        answer = await self._transport.request(
            "get_computer", "GET", f"/computers/{computer_id}", params=expand(*COMPUTER_EXPAND)
        )
        return Computer.model_validate(answer)

    async def get_policy(self, policy_id: int) -> Policy:
        """One policy (cached for ``cache_ttl_seconds``)."""
        return await self._policies.get_or_load(policy_id, partial(self._read_policy, policy_id))

    async def run_recommendation_scan(self, computer_id: int, *, apply: bool = True) -> None:
        """Scan ``computer_id`` for recommendations and, with ``apply``, make the recommended IPS rules assigned.

        ``assign`` mode waits for the scan (up to ``scan_wait_seconds``, else a retryable
        :class:`ScanTimeoutError`) and adds ``recommendedToAssignRuleIDs`` to the computer. ``auto-apply``
        mode only scans when the computer's effective auto-apply setting is ``Yes`` (the manager applies),
        and otherwise behaves like ``assign``. Recommended un-assignments are never applied.
        """
        if not apply:
            await self._scans.start("recommendation", computer_id)
            return
        if self.options.recommendations is RecommendationMode.AUTO_APPLY and await self._auto_applies(computer_id):
            await self._scans.start("recommendation", computer_id)
            self._forget_computer(computer_id)
            return
        before = await ips_assignments(self._transport, "computers", computer_id)
        await self._scans.start("recommendation", computer_id)
        after = await self._scans.wait_for_recommendations(computer_id, newer_than=before.last_recommendation_scan_date)
        await self.assign_ips_rules_to_computer(computer_id, after.recommended_to_assign_rule_ids)
        self._forget_computer(computer_id)

    async def run_integrity_scan(self, computer_id: int) -> None:
        """Start an integrity monitoring scan on ``computer_id``."""
        await self._scans.start("integrity", computer_id)

    async def run_malware_scan(self, computer_id: int) -> None:
        """Start an anti-malware (manual) scan on ``computer_id``."""
        await self._scans.start("malware", computer_id)

    async def ips_rules_for_cve(self, cve: str) -> list[IpsRule]:
        """Rules listing ``cve`` exactly, followed by their ``dependsOnRuleIDs`` closure (cached)."""
        return await self._rules.rules_for_cve(cve)

    async def ips_rule(self, rule_id: int) -> IpsRule | None:
        """One IPS rule by ID (cached), ``None`` when it does not exist."""
        return await self._rules.rule(rule_id)

    async def computer_ips_assignments(self, computer_id: int) -> IpsAssignments:
        """The computer's assigned and recommended IPS rules (inherited ones included)."""
        return await ips_assignments(self._transport, "computers", computer_id)

    async def policy_ips_assignments(self, policy_id: int) -> IpsAssignments:
        """The policy's assigned IPS rules (inherited ones included)."""
        return await ips_assignments(self._transport, "policies", policy_id)

    async def assign_ips_rules_to_policy(self, policy_id: int, rule_ids: list[int]) -> None:
        """Add ``rule_ids`` to the policy; rules already assigned stay assigned."""
        if await add_ips_rules(self._transport, "policies", policy_id, rule_ids) is not None:
            self._policies.invalidate(policy_id)
            self._instances.invalidate_where(lambda hits: any(c.policy_id == policy_id for c in hits))

    async def assign_ips_rules_to_computer(self, computer_id: int, rule_ids: list[int]) -> None:
        """Add ``rule_ids`` to the computer itself (an override of its policy); others stay assigned."""
        if await add_ips_rules(self._transport, "computers", computer_id, rule_ids) is not None:
            self._forget_computer(computer_id)

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
        """Every object of ``resource`` (``computers``, ``policies``, ``intrusionpreventionrules``,
        ``applicationtypes``, ``scheduledtasks``) matching ``criteria``, paged by ID."""
        async for page in search_pages(
            self._transport, resource, criteria, page_size=page_size, params=expand(*expand_sections)
        ):
            for item in page:
                yield item

    async def _lookup_instance(self, instance_id: str) -> tuple[Computer, ...]:
        hits = await self._search_computers(EC2_INSTANCE_FIELD, instance_id)
        if not hits:
            hits = await self._search_agent_reported(instance_id)
        return tuple(sorted(hits, key=_rank))

    async def _search_computers(self, field: str, instance_id: str) -> list[Computer]:
        answer = await self._transport.request(
            "search_computers",
            "POST",
            "/computers/search",
            body=search_filter([string_equals(field, instance_id)], max_items=_MAX_HITS),
            params=expand(*COMPUTER_EXPAND),
        )
        return [Computer.model_validate(item) for item in (answer or {}).get("computers") or []]

    async def _search_agent_reported(self, instance_id: str) -> list[Computer]:
        """Search the agent-reported instance id; if the manager refuses that field, match locally."""
        if self._agent_field_searchable:
            try:
                return await self._search_computers(AGENT_INSTANCE_FIELD, instance_id)
            except InvalidRequestError as error:
                self._agent_field_searchable = False
                log.warning("ws_agent_instance_field_not_searchable", error=str(error))
        matches = [
            int(item["ID"])
            async for item in self.iter_search(
                "computers", page_size=MAX_LOCAL_PAGE, expand_sections=["noConnectorVirtualMachineSummary"]
            )
            if (item.get("noConnectorVirtualMachineSummary") or {}).get("instanceID") == instance_id
        ]
        return [await self.get_computer(computer_id) for computer_id in matches]

    async def _read_policy(self, policy_id: int) -> Policy:
        return Policy.model_validate(await self._transport.request("get_policy", "GET", f"/policies/{policy_id}"))

    async def _auto_applies(self, computer_id: int) -> bool:
        answer = await self._transport.request(
            "get_computer", "GET", f"/computers/{computer_id}", params=expand("computerSettings")
        )
        value = Computer.model_validate(answer).setting(AUTO_APPLY_SETTING)
        return (value or "").lower() in ("yes", "true")

    def _forget_computer(self, computer_id: int) -> None:
        self._instances.invalidate_where(lambda hits: any(c.id == computer_id for c in hits))


MAX_LOCAL_PAGE = 2000


def _rank(computer: Computer) -> tuple[int, int, int]:
    status = computer.computer_status
    active = bool(computer.agent_finger_print) and status is not None and status.agent_status == "active"
    return (0 if active else 1, -(computer.last_agent_communication or 0), computer.id)
