"""Sample findings: read EventBridge envelopes from files and put them on the event bus.

``config/samples.json`` names the bundled samples that ``run`` points at the demo instances: their
instance ids become the demo instance's id, and a GuardDuty sample is no longer flagged as a sample
finding, so the daemon acts on it. The samples it points at the demo bucket name that bucket instead
of their own. Every Macie sample moves into the demo account (``demo_account``, moto's): the stack
has no member accounts, so the daemon reads the finding's bucket where the demo resources live.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from devstack import event_pattern
from devstack.settings import PATTERN_FILE, ROOT, SAMPLES_FILE

MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024


def read_events(path: Path | str) -> list[dict[str, Any]]:
    """The events in a file (``-`` is stdin): one JSON object, a JSON array, or JSON lines."""
    text = sys.stdin.read() if str(path) == "-" else Path(path).read_text()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return document if isinstance(document, list) else [document]


def envelopes(paths: Iterable[Path | str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(file stem, event) for every EventBridge envelope (an object with ``detail-type``) in ``paths``."""
    for path in paths:
        for event in read_events(path):
            if isinstance(event, dict) and "detail-type" in event:
                yield Path(str(path)).stem, event


def matches_rule(event: dict[str, Any], pattern_file: Path = PATTERN_FILE) -> bool:
    """True when the findings rule's pattern matches ``event``."""
    return event_pattern.matches(json.loads(pattern_file.read_text()), event)


def point_at_instance(event: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """A copy of a GuardDuty or Inspector2 ``event`` about ``instance_id`` instead of its own instance."""
    detail = event.get("detail", {})
    old_ids = {detail.get("resource", {}).get("instanceDetails", {}).get("instanceId")}
    old_ids |= {item.get("id") for item in detail.get("resources", []) if item.get("type") == "AWS_EC2_INSTANCE"}
    text = json.dumps(event)
    for old_id in old_ids - {None, ""}:
        text = text.replace(f'"{old_id}"', json.dumps(instance_id)).replace(f"/{old_id}", f"/{instance_id}")
    pointed: dict[str, Any] = json.loads(text)
    additional = pointed.get("detail", {}).get("service", {}).get("additionalInfo", {})
    if additional.get("sample") is True:
        additional["sample"] = False
    return pointed


def point_at_bucket(event: dict[str, Any], bucket: str | None, account: str) -> dict[str, Any]:
    """A copy of a Macie ``event`` in ``account``, about ``bucket`` instead of its own bucket when one is given."""
    text = json.dumps(event)
    old = event.get("detail", {}).get("resourcesAffected", {}).get("s3Bucket", {}).get("name")
    if bucket and old:
        text = text.replace(f'"{old}"', json.dumps(bucket)).replace(f":::{old}", f":::{bucket}")
        text = text.replace(f'"{old}/', f'"{bucket}/')
    pointed: dict[str, Any] = json.loads(text)
    pointed["account"] = pointed["detail"]["accountId"] = account
    return pointed


def demo_events(instances: dict[str, str], samples_file: Path = SAMPLES_FILE) -> list[dict[str, Any]]:
    """The bundled sample envelopes the findings rule matches, pointed at the demo instances, bucket and account."""
    config = json.loads(samples_file.read_text())
    mapping: dict[str, str] = config["demo_instances"]
    buckets: dict[str, str] = config["demo_buckets"]
    events = []
    for stem, event in envelopes(sorted((ROOT / config["events_dir"]).glob("*.json"))):
        if not matches_rule(event):
            continue
        name = mapping.get(stem)
        if event.get("detail-type") == "Macie Finding":
            events.append(point_at_bucket(event, buckets.get(stem), config["demo_account"]))
        else:
            events.append(point_at_instance(event, instances[name]) if name in instances else event)
    return events


def entry(event: dict[str, Any]) -> dict[str, Any]:
    """The PutEvents entry that makes EventBridge deliver an envelope like ``event``."""
    detail = event["detail"]
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": detail if isinstance(detail, str) else json.dumps(detail),
        "Resources": list(event.get("resources", [])),
    }


def batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Split entries into PutEvents calls: at most 10 entries and 256 KiB each."""
    batch: list[dict[str, Any]] = []
    size = 0
    for item in entries:
        item_size = len(json.dumps(item))
        if batch and (len(batch) == MAX_ENTRIES or size + item_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def put_events(events_client: Any, events: list[dict[str, Any]]) -> list[str]:
    """Put ``events`` on the default bus; return the EventBridge ids, raising if any entry failed."""
    ids: list[str] = []
    for batch in batches([entry(event) for event in events]):
        response = events_client.put_events(Entries=batch)
        failed = [item for item in response["Entries"] if "EventId" not in item]
        if failed:
            raise RuntimeError(f"PutEvents rejected {len(failed)} entries: {failed[0]}")
        ids += [item["EventId"] for item in response["Entries"]]
    return ids
