"""The canonical line on a terminal: one short line a person can scan; the JSON format keeps it all."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

_KEPT = ("timestamp", "level")


def shorten_message_line(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: ``outcome detail-type target actions duration`` for the ``message`` line."""
    if event.get("event") != "message":
        return event
    parts = [str(event.get("outcome", "?")), str(event.get("detail_type", "-")), _target(event.get("targets") or {})]
    actions = event.get("actions") or []
    if actions:
        parts.append(" ".join(f"{action.get('action')}={action.get('result')}" for action in actions))
    if event.get("outcome") not in ("success", "duplicate"):
        parts.append(f"({event.get('reason')})")
    if event.get("retry_in_seconds") is not None:
        parts.append(f"retry in {event['retry_in_seconds']} s")
    parts.append(f"{event.get('duration_ms', 0):g} ms")
    return {**{key: event[key] for key in _KEPT if key in event}, "event": " ".join(parts)}


def _target(targets: dict[str, Any]) -> str:
    instances, cves = targets.get("instance_ids") or [], targets.get("cves") or []
    if instances:
        return ",".join(instances[:3]) + (f" +{len(instances) - 3}" if len(instances) > 3 else "")
    if targets.get("bucket"):
        return f"s3://{targets['bucket']}"
    if cves:
        return ",".join(cves[:3])
    return str(targets.get("finding_id") or "-")
