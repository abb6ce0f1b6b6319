"""SearchFilter bodies and paging by ID (the API has no cursors, offsets or totals)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from wsbridge.consumer.workload_security.transport import Params, Transport

Criterion = Mapping[str, Any]

MAX_PAGE_SIZE = 5000
"""The manager's default ``maxItems``; a page this size or smaller always comes back whole."""

RESOURCES: dict[str, str] = {
    "computers": "computers",
    "policies": "policies",
    "intrusionpreventionrules": "intrusionPreventionRules",
    "applicationtypes": "applicationTypes",
    "scheduledtasks": "scheduledTasks",
}
"""Searchable resource (path segment) -> the wrapper key of its list answer."""


def string_equals(field: str, value: str) -> dict[str, Any]:
    """``field`` equals ``value`` literally (``%`` and ``_`` are not wildcards)."""
    return {"fieldName": field, "stringTest": "equal", "stringValue": value, "stringWildcards": False}


def string_contains(field: str, value: str) -> dict[str, Any]:
    """``field`` contains ``value`` (``%value%`` with wildcards on); check exact matches locally."""
    return {"fieldName": field, "stringTest": "equal", "stringValue": f"%{value}%", "stringWildcards": True}


def id_greater_than(value: int) -> dict[str, Any]:
    """Objects whose ID is above ``value`` (the paging criterion)."""
    return {"idTest": "greater-than", "idValue": value}


def search_filter(criteria: Sequence[Criterion], *, max_items: int, sort_by_id: bool = False) -> dict[str, Any]:
    """A SearchFilter body; all ``criteria`` must hold."""
    body: dict[str, Any] = {"maxItems": max_items, "searchCriteria": [dict(item) for item in criteria]}
    if sort_by_id:
        body["sortByObjectID"] = True
    return body


async def search_pages(
    transport: Transport,
    resource: str,
    criteria: Sequence[Criterion] = (),
    *,
    page_size: int = 1000,
    params: Params = (),
    operation: str | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield pages of ``POST /{resource}/search`` in ID order until the objects run out.

    Each page asks for IDs above the last one seen. A page shorter than ``page_size`` is the last
    (``page_size`` is capped at :data:`MAX_PAGE_SIZE`, which the manager returns whole).
    """
    wrapper = RESOURCES[resource]
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    last_id = 0
    while True:
        body = search_filter([*criteria, id_greater_than(last_id)], max_items=size, sort_by_id=True)
        answer = await transport.request(
            operation or f"search_{resource}", "POST", f"/{resource}/search", body=body, params=params
        )
        page: list[dict[str, Any]] = list((answer or {}).get(wrapper) or [])
        if page:
            yield page
        if len(page) < size:
            return
        last_id = max(int(item["ID"]) for item in page)
