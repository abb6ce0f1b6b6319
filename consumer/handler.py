"""What a handler plugin is: an offline triage of one event, then a plan of actions.

Handlers read (WS lookups, AWS describes) but never write; every write is an
:class:`~wsbridge.consumer.actions.Action` that the executor runs, coalesces, or only records in
dry run. Each handler names the event ``source`` allowed to carry each of its detail-types; the
pipeline refuses an event from any other source before the handler sees it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from wsbridge.consumer.settlement import PermanentError, RetryLater, TransientError

if TYPE_CHECKING:
    import structlog

    from wsbridge.consumer.actions import Action
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.services import Services
    from wsbridge.consumer.settings import Settings


__all__ = [
    "Decision",
    "Handler",
    "HandlerContext",
    "PermanentError",
    "Plan",
    "RetryLater",
    "Targets",
    "TransientError",
    "Triage",
]


class Decision(StrEnum):
    """The triage verdict: act, leave alone, or refuse as malformed/unsupported (dead-letter)."""

    HANDLE = "handle"
    SKIP = "skip"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Targets:
    """What an event is about (the ``targets`` object of ``wsbridge explain``)."""

    account: str | None = None
    region: str | None = None
    finding_id: str | None = None
    severity: str | float | None = None
    instance_ids: tuple[str, ...] = ()
    bucket: str | None = None
    cves: tuple[str, ...] = ()
    resource_type: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The explain contract form (lists, not tuples)."""
        data = {each.name: getattr(self, each.name) for each in fields(self)}
        data["instance_ids"] = list(self.instance_ids)
        data["cves"] = list(self.cves)
        return data


@dataclass(frozen=True, slots=True)
class Triage:
    """The offline verdict on one event.

    ``finding_key`` identifies the finding version for de-duplication; ``finding`` is what the
    handler read from the event at triage, handed to :meth:`Handler.plan` so no event is read twice.
    """

    decision: Decision
    reason: str
    targets: Targets = field(default_factory=Targets)
    finding_key: str | None = None
    finding: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Reasons are one line, whatever text the event put into them."""
        if "\n" in self.reason or "\r" in self.reason:
            object.__setattr__(self, "reason", " ".join(self.reason.split()))

    @classmethod
    def handle(cls, reason: str, targets: Targets, finding_key: str | None = None) -> Triage:
        """Act on this event."""
        return cls(Decision.HANDLE, reason, targets, finding_key)

    def about(self, finding: object) -> Triage:
        """This verdict, carrying the finding it was made on."""
        return replace(self, finding=finding)

    @classmethod
    def skip(cls, reason: str, targets: Targets | None = None) -> Triage:
        """Valid, but not ours to act on."""
        return cls(Decision.SKIP, reason, targets or Targets())

    @classmethod
    def reject(cls, reason: str, targets: Targets | None = None) -> Triage:
        """Malformed or unsupported: goes to the dead-letter queue."""
        return cls(Decision.REJECT, reason, targets or Targets())


@dataclass(frozen=True, slots=True)
class Plan:
    """What a handled event needs: the actions, or, when there are none, why nothing was needed."""

    actions: tuple[Action, ...] = ()
    reason: str | None = None

    @classmethod
    def of(cls, actions: Sequence[Action], *, otherwise: str) -> Plan:
        """``actions``; when there are none, a plan that says ``otherwise`` (why nothing was needed)."""
        return cls(tuple(actions)) if actions else cls((), otherwise)

    @classmethod
    def nothing(cls, reason: str) -> Plan:
        """No action is needed, for ``reason``."""
        return cls((), reason)


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """What a handler may use while planning: read-only clients, settings and a bound logger."""

    services: Services
    settings: Settings
    log: structlog.typing.FilteringBoundLogger


class Handler(ABC):
    """A plugin for one or more detail-types, registered in the ``wsbridge.handlers`` entry-point group.

    ``sources`` maps each detail-type to the event sources that may carry it (``{"GuardDuty Finding":
    ("aws.guardduty",)}``); ``detail_types`` is its keys.
    """

    name: ClassVar[str]
    sources: ClassVar[Mapping[str, tuple[str, ...]]]
    detail_types: ClassVar[tuple[str, ...]]
    inherits_policies: ClassVar[tuple[str, ...]] = ()
    """Other handlers whose policy tables become sub-tables of this one's, unless it sets its own."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "sources" in cls.__dict__ and "detail_types" not in cls.__dict__:
            cls.detail_types = tuple(cls.sources)

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        """``policy`` is this handler's table from the handler TOML file."""
        self.policy: Mapping[str, Any] = policy or {}

    @abstractmethod
    def triage(self, event: Event) -> Triage:
        """Decide offline (no I/O) whether and on what to act."""

    @abstractmethod
    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """The plan for a ``handle`` verdict; may read WS and AWS, never writes."""
