"""Load the sample events and wsbridge's registered handlers for the handler tests."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.envelope import Event, parse_body, parse_document
from wsbridge.consumer.handler import Handler, Triage

EVENTS = Path(__file__).parents[1] / "fixtures" / "events"
SAMPLE_FILES = sorted(path.name for path in EVENTS.glob("*.json"))


def handler_classes() -> dict[str, type[Handler]]:
    """wsbridge's own registered handler classes, by entry-point name."""
    classes = {}
    for point in entry_points(group="wsbridge.handlers"):
        if point.dist is not None and point.dist.name == "wsbridge":
            classes[point.name] = point.load()
    return classes


def registry(policies: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Handler]:
    """detail-type -> handler instance, built by the registry as the daemon builds it."""
    built = Registry.from_entry_points(policies or {}, enabled=frozenset(handler_classes()))
    handlers = {entry.detail_type: built.lookup(entry.detail_type) for entry in built.registrations()}
    return {detail_type: handler for detail_type, handler in handlers.items() if handler is not None}


def sample_document(name: str) -> dict[str, Any]:
    document = json.loads((EVENTS / name).read_text())
    assert isinstance(document, dict)
    return document


def sample_event(name: str) -> Event:
    return parse_body((EVENTS / name).read_bytes())


def event_from(document: dict[str, Any]) -> Event:
    return parse_document(document)


def with_detail(event: Event, edit: Callable[[dict[str, Any]], None]) -> Event:
    """A copy of ``event`` whose detail was changed in place by ``edit``."""
    detail = copy.deepcopy(event.detail)
    edit(detail)
    return dataclasses.replace(event, detail=detail)


def triage(event: Event, policies: Mapping[str, Mapping[str, Any]] | None = None) -> Triage:
    return registry(policies)[event.detail_type].triage(event)
