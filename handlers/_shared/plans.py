"""Helpers for building plans."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wsbridge.consumer.actions import Action

if TYPE_CHECKING:
    from wsbridge.consumer.settings import Settings


def unique(actions: Iterable[Action]) -> list[Action]:
    """``actions`` in order without repeats: the first action of each coalescing key (and equal actions) only."""
    seen: set[str] = set()
    kept: list[Action] = []
    for action in actions:
        key = action.coalesce_key or repr(action)
        if key not in seen:
            seen.add(key)
            kept.append(action)
    return kept


def applies_integrity_rules(settings: Settings) -> bool:
    """Whether a recommendation scan's results change integrity monitoring rules, so an integrity scan
    of the same computer must wait for them (``WSBRIDGE_WS_RECOMMENDATION_MODULES=all``)."""
    return settings.ws_recommendation_modules == "all"
