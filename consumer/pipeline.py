"""One message from body to outcome: parse, dispatch, triage, de-duplicate, plan, execute.

The pipeline never touches SQS: it returns an :class:`Outcome` and the worker settles it (see
:mod:`wsbridge.consumer.settlement`). ``assess`` is the offline half that ``wsbridge explain`` uses.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from wsbridge.consumer.dispatch import Registry
from wsbridge.consumer.envelope import Event, MalformedMessage, parse_body
from wsbridge.consumer.executor import ActionFailed, ExecutedAction, Executor
from wsbridge.consumer.handler import Decision, Handler, HandlerContext, Plan, Triage
from wsbridge.consumer.services import Services
from wsbridge.consumer.settings import Settings, UnknownDetailTypePolicy
from wsbridge.consumer.settlement import OutcomeKind, classify, requested_delay
from wsbridge.consumer.state import Claim, DedupeStore, StateStoreError

LEASE_MARGIN_SECONDS = 15.0
"""How much longer than the handler timeout a claim holds: past it, the holder cannot still be working."""

__all__ = ["Assessment", "Outcome", "OutcomeKind", "Pipeline", "assess", "assess_event"]


UNKNOWN_LABEL = "unknown"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The offline verdict on one body: what it is, who handles it, and the triage."""

    event: Event | None
    handler: Handler | None
    triage: Triage
    source_refused: bool = False

    @property
    def detail_type(self) -> str:
        """The event's detail-type, or ``"-"`` when the body is not an event."""
        return self.event.detail_type if self.event else "-"

    @property
    def detail_type_label(self) -> str:
        """The detail-type as a metric label, from a bounded set: a registered detail-type, ``"-"`` for a
        body that is no event, and ``"unknown"`` for one no handler registers or whose source was refused."""
        if self.event is None:
            return "-"
        if self.handler is None or self.source_refused:
            return UNKNOWN_LABEL
        return self.event.detail_type

    @property
    def handler_name(self) -> str:
        """The handler's name, or ``"-"``."""
        return self.handler.name if self.handler else "-"

    def as_json(self) -> dict[str, Any]:
        """The ``wsbridge explain`` line."""
        return {
            "event_id": self.event.id if self.event else None,
            "detail_type": self.event.detail_type if self.event else None,
            "source": self.event.source if self.event else None,
            "handler": self.handler.name if self.handler else None,
            "decision": self.triage.decision.value,
            "reason": self.triage.reason,
            "targets": self.triage.targets.as_json(),
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of processing one message; ``retry_in_seconds`` is a delay the handler asked for."""

    kind: OutcomeKind
    reason: str
    assessment: Assessment
    actions: list[ExecutedAction] = field(default_factory=list)
    retry_in_seconds: int | None = None
    claim_lapses_in: int | None = None
    """For RETRY because the event is claimed elsewhere (most likely by a replica that died): when the
    claim lapses. A redelivered message waits that long instead of the backoff by receive count."""


def assess(body: str | bytes, registry: Registry, unknown: UnknownDetailTypePolicy) -> Assessment:
    """Parse and triage one body without any I/O; never raises for bad input."""
    try:
        event = parse_body(body)
    except MalformedMessage as error:
        return Assessment(None, None, Triage.reject(str(error)))
    return assess_event(event, registry, unknown)


def assess_event(event: Event, registry: Registry, unknown: UnknownDetailTypePolicy) -> Assessment:
    """Dispatch and triage a parsed event; a handler that raises is reported as a reject."""
    handler = registry.lookup(event.detail_type)
    if handler is None:
        reason = f"no handler for detail-type {event.detail_type!r}"
        if unknown is UnknownDetailTypePolicy.DEAD_LETTER:
            return Assessment(event, None, Triage.reject(reason))
        return Assessment(event, None, Triage.skip(reason))
    allowed = handler.sources.get(event.detail_type, ())
    if event.source not in allowed:
        reason = f"{event.detail_type!r} from source {event.source!r} refused: only {', '.join(allowed)} may send it"
        return Assessment(event, handler, Triage.reject(reason), source_refused=True)
    try:
        triage = handler.triage(event)
    except Exception as error:
        triage = Triage.reject(f"handler {handler.name} could not read the event: {error!r}")
    return Assessment(event, handler, triage)


class Pipeline:
    """Processes message bodies with the registry, the de-duplication store and the executor."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        store: DedupeStore,
        services: Services,
        executor: Executor,
    ) -> None:
        """Wire the parts; nothing here does I/O until :meth:`process`."""
        self._settings = settings
        self.registry = registry
        self._store = store
        self._services = services
        self._executor = executor
        self._log = structlog.get_logger("wsbridge.pipeline")

    def assess(self, body: str | bytes) -> Assessment:
        """The offline verdict on one body (see :func:`assess`)."""
        return assess(body, self.registry, self._settings.unknown_detail_type)

    def look_ahead(self, assessments: Sequence[Assessment]) -> None:
        """When a batch is received, start looking the instances its findings are about up in Workload
        Security at once (see :meth:`WorkloadSecurityClient.warm_instance_lookups`)."""
        if self._services.ws is None:
            return
        instance_ids = [
            instance_id
            for assessment in assessments
            if assessment.triage.decision is Decision.HANDLE
            for instance_id in assessment.triage.targets.instance_ids
        ]
        if instance_ids:
            self._services.ws.warm_instance_lookups(instance_ids)

    async def process(self, body: str | bytes) -> Outcome:
        """Process one body; exceptions become RETRY or DEAD_LETTER outcomes, never escape."""
        return await self.process_assessed(self.assess(body))

    async def process_assessed(self, assessment: Assessment, *, receive_count: int | None = None) -> Outcome:
        """Process a body already assessed (so a timeout can still report what the body was).

        ``receive_count``: the message's; a first delivery (1) whose claims took over no lapsed claim
        cannot have been acted on before, which spares the actions a look for an earlier attempt's work.
        """
        triage = assessment.triage
        if triage.decision is Decision.REJECT:
            return Outcome(OutcomeKind.DEAD_LETTER, triage.reason, assessment)
        if triage.decision is Decision.SKIP:
            return Outcome(OutcomeKind.SKIPPED, triage.reason, assessment)
        assert assessment.event is not None and assessment.handler is not None
        keys = self._dedupe_keys(assessment.event, triage)
        lease = self._settings.handler_timeout_seconds + LEASE_MARGIN_SECONDS
        lease_until = time.time() + lease
        try:
            claims = await self._claim_all(keys, lease)
        except StateStoreError as error:
            return Outcome(OutcomeKind.RETRY, str(error), assessment)
        if Claim.DONE in claims:
            return Outcome(OutcomeKind.DUPLICATE, "already processed", assessment)
        if Claim.IN_PROGRESS in claims:
            reason = "a copy of this event is being processed"
            return Outcome(OutcomeKind.RETRY, reason, assessment, claim_lapses_in=math.ceil(lease))
        try:
            earlier_attempt = receive_count != 1 or Claim.TAKEN_OVER in claims
            outcome = await self._plan_and_execute(assessment, lease_until, earlier_attempt)
        except BaseException:
            await self._settle_keys(keys, done=False)
            raise
        await self._settle_keys(keys, done=outcome.kind is OutcomeKind.SUCCESS)
        return outcome

    async def _claim_all(self, keys: list[str], lease: float) -> list[Claim | None]:
        """Claim every key, several at once; when not all are new (or the store fails, or this is
        cancelled), the ones taken are released."""
        if len(keys) == 1:
            return [await self._store.claim(keys[0], lease)]
        if self._store.in_process:
            return await self._claim_one_by_one(keys, lease)
        claims = [asyncio.ensure_future(self._store.claim(key, lease)) for key in keys]
        try:
            await asyncio.wait(claims)
        finally:
            for claim in claims:
                claim.cancel()
            answers = [_answer(claim) for claim in claims]
            await self._release_unless_all_taken(keys, answers)
        failure = next((claim.exception() for claim in claims if claim.exception() is not None), None)
        if failure is not None:
            raise failure
        return answers

    async def _claim_one_by_one(self, keys: list[str], lease: float) -> list[Claim | None]:
        answers: list[Claim | None] = []
        try:
            for key in keys:
                answers.append(await self._store.claim(key, lease))
        finally:
            await self._release_unless_all_taken(keys, answers)
        return answers

    async def _release_unless_all_taken(self, keys: list[str], answers: list[Claim | None]) -> None:
        """``answers`` to the first keys (all of them unless a claim failed): unless every key was
        taken, release the ones that were."""
        taken = [key for key, answer in zip(keys, answers, strict=False) if answer is not None and answer.taken]
        if len(taken) < len(keys):
            await self._settle_keys(taken, done=False)

    async def _settle_keys(self, keys: list[str], *, done: bool) -> None:
        """Mark the keys done, or release them, several at once; a store failure here only costs a repeat later."""
        if len(keys) == 1 or self._store.in_process:
            for key in keys:
                await self._settle_key(key, done=done)
        elif keys:
            await asyncio.gather(*(self._settle_key(key, done=done) for key in keys))

    async def _settle_key(self, key: str, *, done: bool) -> None:
        try:
            if done:
                await self._store.complete(key, self._settings.dedupe_ttl_seconds)
            else:
                await self._store.release(key)
        except StateStoreError as error:
            self._log.warning("state_store_write_failed", key=key, error=str(error))

    async def _plan_and_execute(self, assessment: Assessment, lease_until: float, earlier_attempt: bool) -> Outcome:
        assert assessment.event is not None and assessment.handler is not None
        context = HandlerContext(self._services, self._settings, self._log.bind(handler=assessment.handler.name))
        executed: list[ExecutedAction] = []
        try:
            plan = await assessment.handler.plan(assessment.event, assessment.triage, context)
            executed = await self._executor.execute(
                plan.actions, lease_until=lease_until, earlier_attempt=earlier_attempt
            )
        except Exception as error:
            if isinstance(error, ActionFailed):
                executed = error.executed
                error = error.__cause__ if isinstance(error.__cause__, Exception) else error
            kind, reason = classify(error)
            return Outcome(OutcomeKind(kind), reason, assessment, executed, requested_delay(error))
        return Outcome(OutcomeKind.SUCCESS, self._success_reason(assessment, plan), assessment, executed)

    def _success_reason(self, assessment: Assessment, plan: Plan) -> str:
        if plan.actions:
            return assessment.triage.reason
        if plan.reason:
            return f"nothing to do: {plan.reason}"
        self._log.warning("empty_plan_without_reason", handler=assessment.handler_name)
        return f"handler {assessment.handler_name} planned nothing and gave no reason"

    @staticmethod
    def _dedupe_keys(event: Event, triage: Triage) -> list[str]:
        keys = [f"event:{event.id}"]
        if triage.finding_key:
            keys.append(f"finding:{triage.finding_key}")
        return keys


def _answer(claim: asyncio.Future[Claim]) -> Claim | None:
    """What a finished claim answered; ``None`` when it failed or never finished."""
    if claim.cancelled() or claim.exception() is not None:
        return None
    return claim.result()
