"""Computer reads: by ID, and by EC2 instance ID (cached, single-flight, best match first)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

import structlog

from wsbridge.consumer.workload_security.cache import TtlCache
from wsbridge.consumer.workload_security.errors import InvalidRequestError, WorkloadSecurityError
from wsbridge.consumer.workload_security.models import Computer, with_ips_rules
from wsbridge.consumer.workload_security.search import search_filter, search_pages, string_equals
from wsbridge.consumer.workload_security.transport import Transport

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
MAX_HITS = 25
LOCAL_MATCH_PAGE = 2000
BATCH_PAGE = 1000
BATCH_FROM = 4
"""Instances not in the cache from which one walk over every computer is cheaper than a search each."""
LOOK_AHEAD_PAGES = 5
"""A look-ahead walks the computers only while they fit in this many pages; beyond, searches are cheaper."""
_INSTANCE_ID = re.compile(r"i-[0-9a-zA-Z]{1,64}")


def expand(*sections: str) -> list[tuple[str, str]]:
    """The repeated ``expand`` query parameter."""
    return [("expand", section) for section in sections]


@dataclass(slots=True)
class _FleetWalk:
    """A look-ahead walk over every computer and the instances waiting for it."""

    keys: set[str]
    future: asyncio.Future[None]


class ComputerLookup:
    """Finds computers; instance lookups are cached for ``ttl_seconds`` (empty answers too)."""

    def __init__(self, transport: Transport, ttl_seconds: float) -> None:
        self._transport = transport
        self._instances: TtlCache[str, tuple[Computer, ...]] = TtlCache(ttl_seconds)
        self._read: TtlCache[int, Computer] = TtlCache(ttl_seconds)
        self._agent_field_searchable = True
        self._fleet_walk: _FleetWalk | None = None
        self._fleet_fits_look_ahead = True

    async def by_instance_id(self, instance_id: str) -> list[Computer]:
        """Connector records (``ec2VirtualMachineSummary``) first; if none, agent-reported ones."""
        key = instance_id.strip()
        if not _INSTANCE_ID.fullmatch(key):
            raise InvalidRequestError(f"not an EC2 instance id: {instance_id!r}", operation="find_computers")
        walk = self._fleet_walk
        if walk is not None and key in walk.keys:
            await asyncio.wait({walk.future})
        return list(await self._instances.get_or_load(key, partial(self._lookup, key)))

    async def by_instance_ids(self, instance_ids: Sequence[str]) -> dict[str, list[Computer]]:
        """:meth:`by_instance_id` for many instances; from :data:`BATCH_FROM` uncached ones on, one walk
        over every computer (pages of :data:`BATCH_PAGE`) answers them all and fills the cache."""
        keys = list(dict.fromkeys(key.strip() for key in instance_ids if _INSTANCE_ID.fullmatch(key.strip())))
        missing = [key for key in keys if self._instances.get(key) is None]
        walked = (await self._walk(set(missing)) or {}) if len(missing) >= BATCH_FROM else {}
        self._store_walked(walked)
        return {key: list(walked[key]) if key in walked else await self.by_instance_id(key) for key in keys}

    def start_warming(self, instance_ids: Sequence[str]) -> None:
        """From :data:`BATCH_FROM` uncached instances on, start looking them all up with one walk, which
        their own lookups wait for; the walk caches every instance it sees, so later findings about any
        of them need no call, and instances that come while it runs wait for it too. Only while every
        computer fits in :data:`LOOK_AHEAD_PAGES` pages: a walk that finds more stops and turns the
        look-ahead off for this process."""
        if not self._fleet_fits_look_ahead:
            return
        keys = {key.strip() for key in instance_ids if _INSTANCE_ID.fullmatch(key.strip())}
        walk = self._fleet_walk
        missing = {key for key in keys if self._instances.get(key) is None and (walk is None or key not in walk.keys)}
        if walk is None:
            if len(missing) < BATCH_FROM:
                return
            keys_walked: set[str] = set()
            walk = self._fleet_walk = _FleetWalk(keys_walked, asyncio.ensure_future(self._warm(keys_walked)))
            walk.future.add_done_callback(lambda _: self._stop_warming(walk))
        walk.keys |= missing

    def cancel_warming(self) -> None:
        """Stop the look-ahead still walking (the client is closing)."""
        if self._fleet_walk is not None:
            self._fleet_walk.future.cancel()

    async def _warm(self, missing: set[str]) -> None:
        try:
            walked = await self._walk(None, max_pages=LOOK_AHEAD_PAGES)
        except WorkloadSecurityError as error:
            log.warning("ws_instance_lookahead_failed", error=str(error))
            return
        if walked is None:
            self._fleet_fits_look_ahead = False
            log.info("ws_instance_lookahead_off", reason=f"more computers than {LOOK_AHEAD_PAGES * BATCH_PAGE}")
            return
        for key in missing:
            walked.setdefault(key, ())
        self._store_walked(walked)

    def _stop_warming(self, walk: _FleetWalk) -> None:
        if self._fleet_walk is walk:
            self._fleet_walk = None

    async def by_id(self, computer_id: int) -> Computer:
        """One computer, read fresh."""
        answer = await self._transport.request(
            "get_computer", "GET", f"/computers/{computer_id}", params=expand(*COMPUTER_EXPAND)
        )
        return Computer.model_validate(answer)

    def cached(self, computer_id: int) -> Computer | None:
        """The computer as an instance lookup read it within the TTL (``None`` when none did)."""
        return self._read.get(computer_id)

    def forget(self, computer_id: int | None = None, *, policy_id: int | None = None) -> None:
        """Drop cached lookups holding this computer, or any computer on this policy."""

        def held(computer: Computer) -> bool:
            return computer.id == computer_id or (policy_id is not None and computer.policy_id == policy_id)

        self._read.invalidate_where(held)
        self._instances.invalidate_where(lambda hits: any(held(computer) for computer in hits))

    def added_ips_rules(
        self, rule_ids: Sequence[int], computer_id: int | None = None, *, policy_id: int | None = None
    ) -> None:
        """Rules were added to this computer, or to this policy: cached computers it holds get them too,
        so the next finding about them needs no search."""

        def held(computer: Computer) -> bool:
            return computer.id == computer_id or (policy_id is not None and computer.policy_id == policy_id)

        def patched(computer: Computer) -> Computer:
            section = with_ips_rules(computer.intrusion_prevention, rule_ids)
            return computer.model_copy(update={"intrusion_prevention": section})

        def patched_hits(hits: tuple[Computer, ...]) -> tuple[Computer, ...] | None:
            return tuple(patched(c) if held(c) else c for c in hits) if any(map(held, hits)) else None

        if policy_id is not None:
            self._read.update_where(lambda computer: patched(computer) if held(computer) else None)
            self._instances.update_where(patched_hits)
            return
        if computer_id is None:
            return
        cached = self._read.get(computer_id)
        self._read.update(computer_id, patched)
        if cached is None:
            return
        for summary in (cached.ec2_virtual_machine_summary, cached.no_connector_virtual_machine_summary):
            if summary is not None and summary.instance_id:
                self._instances.update(summary.instance_id, patched_hits)

    async def _lookup(self, instance_id: str) -> tuple[Computer, ...]:
        hits = await self._search(EC2_INSTANCE_FIELD, instance_id)
        if not hits:
            hits = await self._agent_reported(instance_id)
        self._remember(hits)
        return tuple(sorted(hits, key=rank))

    def _store_walked(self, walked: dict[str, tuple[Computer, ...]]) -> None:
        for key, hits in walked.items():
            self._instances.put(key, hits)
            self._remember(hits)

    def _remember(self, computers: Iterable[Computer]) -> None:
        for computer in computers:
            self._read.put(computer.id, computer)

    async def _search(self, field: str, instance_id: str) -> list[Computer]:
        answer = await self._transport.request(
            "search_computers",
            "POST",
            "/computers/search",
            body=search_filter([string_equals(field, instance_id)], max_items=MAX_HITS),
            params=expand(*COMPUTER_EXPAND),
        )
        return [Computer.model_validate(item) for item in (answer or {}).get("computers") or []]

    async def _agent_reported(self, instance_id: str) -> list[Computer]:
        """Search the agent-reported instance id; if the manager refuses that field, match locally."""
        if self._agent_field_searchable:
            try:
                return await self._search(AGENT_INSTANCE_FIELD, instance_id)
            except InvalidRequestError as error:
                self._agent_field_searchable = False
                log.warning("ws_agent_instance_field_not_searchable", error=str(error))
        matches: list[int] = []
        async for page in search_pages(
            self._transport,
            "computers",
            page_size=LOCAL_MATCH_PAGE,
            params=expand("noConnectorVirtualMachineSummary"),
            operation="search_computers",
        ):
            matches += [
                int(item["ID"])
                for item in page
                if (item.get("noConnectorVirtualMachineSummary") or {}).get("instanceID") == instance_id
            ]
        return [await self.by_id(computer_id) for computer_id in matches]

    async def _walk(
        self, wanted: set[str] | None, max_pages: int | None = None
    ) -> dict[str, tuple[Computer, ...]] | None:
        """The computers of every wanted instance (of every instance seen, when ``wanted`` is ``None``),
        from one walk over all computers; ``None`` when there are more than ``max_pages`` pages of them."""
        connector: dict[str, list[Computer]] = {key: [] for key in wanted or ()}
        agent: dict[str, list[Computer]] = {key: [] for key in wanted or ()}
        pages = 0
        async for page in search_pages(
            self._transport,
            "computers",
            page_size=BATCH_PAGE,
            params=expand(*COMPUTER_EXPAND),
            operation="search_computers",
        ):
            pages += 1
            for item in page:
                computer = Computer.model_validate(item)
                for summary, found in (
                    (computer.ec2_virtual_machine_summary, connector),
                    (computer.no_connector_virtual_machine_summary, agent),
                ):
                    key = summary.instance_id if summary is not None else None
                    if key and (wanted is None or key in wanted):
                        found.setdefault(key, []).append(computer)
            if max_pages is not None and pages >= max_pages and len(page) >= BATCH_PAGE:
                return None
        keys = wanted if wanted is not None else connector.keys() | agent.keys()
        return {key: tuple(sorted(connector.get(key) or agent.get(key) or (), key=rank)) for key in keys}


def rank(computer: Computer) -> tuple[int, int, int]:
    """Sort key: managed with an active agent first, then the most recent contact, then the lowest ID."""
    status = computer.computer_status
    active = bool(computer.agent_finger_print) and status is not None and status.agent_status == "active"
    return (0 if active else 1, -(computer.last_agent_communication or 0), computer.id)
