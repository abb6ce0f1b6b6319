"""A message claims its event and its finding version together; when either is held elsewhere, what it
took is given back, so nothing it claimed stays blocked until its lease lapses."""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar

from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.executor import Executor
from wsbridge.consumer.handler import Handler, HandlerContext, Plan, Targets, Triage
from wsbridge.consumer.pipeline import OutcomeKind, Pipeline
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings
from wsbridge.consumer.state import Claim, MemoryDedupeStore, StateStoreError

DETAIL_TYPE = "Test Finding"


class FindingHandler(Handler):
    """Handles every event, keyed by ``detail.finding``."""

    name = "finding"
    sources: ClassVar = {DETAIL_TYPE: ("test.source",)}

    def triage(self, event: Event) -> Triage:
        return Triage.handle("test", Targets(), finding_key=str(event.detail["finding"]))

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        return Plan.nothing("nothing to do in this test")


class FailingFindingClaims(MemoryDedupeStore):
    """A store that cannot be reached for finding keys."""

    async def claim(self, key: str, ttl_seconds: float) -> Claim:
        if key.startswith("finding:"):
            await asyncio.sleep(0)
            raise StateStoreError("unreachable")
        return await super().claim(key, ttl_seconds)


def body(event_id: str, finding: str) -> str:
    return json.dumps(
        {
            "id": event_id,
            "detail-type": DETAIL_TYPE,
            "source": "test.source",
            "account": "111122223333",
            "region": "us-east-1",
            "time": "2026-11-27T00:00:00Z",
            "detail": {"finding": finding},
        }
    )


def pipeline(store: MemoryDedupeStore) -> Pipeline:
    settings = Settings(queue_url="http://queue.invalid")
    services = Services()
    executor = Executor(services, store, window_seconds=0, dry_run=False)
    return Pipeline(settings, Registry([FindingHandler()]), store, services, executor)


async def test_a_message_whose_finding_is_in_progress_elsewhere_gives_its_event_back() -> None:
    store = MemoryDedupeStore()
    await store.claim("finding:f-1", 60)

    outcome = await pipeline(store).process(body("event-1", "f-1"))

    assert outcome.kind is OutcomeKind.RETRY
    assert await store.claim("event:event-1", 60) is Claim.NEW


async def test_a_message_processed_marks_its_event_and_its_finding_done() -> None:
    store = MemoryDedupeStore()
    assert (await pipeline(store).process(body("event-1", "f-1"))).kind is OutcomeKind.SUCCESS

    assert await store.claim("event:event-1", 60) is Claim.DONE
    assert await store.claim("finding:f-1", 60) is Claim.DONE
    copy = await pipeline(store).process(body("event-2", "f-1"))
    assert copy.kind is OutcomeKind.DUPLICATE


async def test_a_store_failure_on_one_key_is_a_retry_and_leaves_the_other_key_free() -> None:
    store = FailingFindingClaims()

    outcome = await pipeline(store).process(body("event-1", "f-1"))

    assert outcome.kind is OutcomeKind.RETRY
    assert "unreachable" in outcome.reason
    assert await store.claim("event:event-1", 60) is Claim.NEW
