"""Helpers for building plans."""

from __future__ import annotations

from collections.abc import Iterable

from wsbridge.consumer.actions import Action


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
