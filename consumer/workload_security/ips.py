"""Intrusion Prevention: the cached rule catalogue (by CVE, by ID) and the assignment calls."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from functools import partial

import structlog

from wsbridge.consumer.workload_security.assignments import Owner, add_rules, read_assignments
from wsbridge.consumer.workload_security.cache import TtlCache
from wsbridge.consumer.workload_security.errors import InvalidRequestError, NotFoundError
from wsbridge.consumer.workload_security.models import IpsAssignments, IpsRule
from wsbridge.consumer.workload_security.search import search_pages, string_contains
from wsbridge.consumer.workload_security.transport import Transport

log = structlog.get_logger(__name__)

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def normalize_cve(cve: str) -> str:
    """``cve`` in canonical form (``CVE-2021-44228``), or :class:`InvalidRequestError`."""
    text = cve.strip().upper()
    if not _CVE.fullmatch(text):
        raise InvalidRequestError(f"not a CVE id: {cve!r}", operation="ips_rules_for_cve")
    return text


class IpsRuleCatalogue:
    """Rules learned from CVE searches and ID reads, each kept for ``ttl_seconds``."""

    def __init__(self, transport: Transport, ttl_seconds: float) -> None:
        self._transport = transport
        self._by_cve: TtlCache[str, tuple[IpsRule, ...]] = TtlCache(ttl_seconds)
        self._by_id: TtlCache[int, IpsRule] = TtlCache(ttl_seconds, max_entries=50_000)

    async def rules_for_cve(self, cve: str) -> list[IpsRule]:
        """Rules whose ``CVE`` list contains ``cve`` exactly, then the rules they depend on."""
        key = normalize_cve(cve)
        direct = await self._by_cve.get_or_load(key, partial(self._search, key))
        return await self.with_dependencies(direct)

    async def with_dependencies(self, rules: Iterable[IpsRule]) -> list[IpsRule]:
        """``rules`` followed by the closure of their ``dependsOnRuleIDs`` (each rule once)."""
        found: dict[int, IpsRule] = {rule.id: rule for rule in rules}
        tried: set[int] = set(found)
        pending = _dependencies(found.values(), tried)
        while pending:
            tried |= pending
            fetched = await asyncio.gather(*(self.rule(rule_id) for rule_id in sorted(pending)))
            new = [rule for rule in fetched if rule is not None and rule.id not in found]
            found.update((rule.id, rule) for rule in new)
            pending = _dependencies(new, tried)
        return list(found.values())

    async def rule(self, rule_id: int) -> IpsRule | None:
        """One rule by ID (cached); ``None`` when the manager does not have it."""
        try:
            return await self._by_id.get_or_load(rule_id, partial(self._fetch, rule_id))
        except NotFoundError:
            log.warning("ws_ips_rule_missing", rule_id=rule_id)
            return None

    def clear(self) -> None:
        """Forget the cached catalogue."""
        self._by_cve.clear()
        self._by_id.clear()

    async def _search(self, cve: str) -> tuple[IpsRule, ...]:
        matches: list[IpsRule] = []
        async for page in search_pages(
            self._transport,
            "intrusionpreventionrules",
            [string_contains("CVE", cve)],
            page_size=100,
            operation="search_ips_rules",
        ):
            for item in page:
                rule = IpsRule.model_validate(item)
                self._by_id.put(rule.id, rule)
                if rule.covers(cve):
                    matches.append(rule)
        return tuple(matches)

    async def _fetch(self, rule_id: int) -> IpsRule:
        answer = await self._transport.request("get_ips_rule", "GET", f"/intrusionpreventionrules/{rule_id}")
        return IpsRule.model_validate(answer)


def _dependencies(rules: Iterable[IpsRule], tried: set[int]) -> set[int]:
    return {dep for rule in rules for dep in rule.depends_on_rule_ids if dep not in tried}


async def ips_assignments(transport: Transport, owner: Owner, owner_id: int) -> IpsAssignments:
    """``GET /{owner}/{id}/intrusionprevention/assignments``."""
    return await read_assignments(transport, "intrusionprevention", owner, owner_id, IpsAssignments)


async def add_ips_rules(
    transport: Transport, owner: Owner, owner_id: int, rule_ids: Sequence[int]
) -> IpsAssignments | None:
    """Add IPS rules with ``POST .../assignments`` (see :func:`add_rules`)."""
    return await add_rules(transport, "intrusionprevention", owner, owner_id, rule_ids, IpsAssignments)
