"""The handler template every integration builds on.

It loads and validates the handler's policy table at start, turns a field of the wrong type into a
``reject`` naming the field's path, and hands the finding read at triage to the planner, so each
event is read once per message.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from wsbridge.consumer.handler import Handler, Plan, Triage
from wsbridge.handlers._shared.fields import InvalidField
from wsbridge.handlers._shared.policy import Policy, load_policy
from wsbridge.handlers._shared.routing_tags import with_routing_tags

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event
    from wsbridge.consumer.handler import HandlerContext

PolicyT = TypeVar("PolicyT", bound=Policy)
FindingT = TypeVar("FindingT")


class PolicyHandler(Handler, Generic[PolicyT]):
    """A handler with a validated policy table (``options``) whose triage never raises on bad fields."""

    policy_model: ClassVar[type[Policy]] = Policy

    def __init__(self, policy: Mapping[str, Any] | None = None) -> None:
        """Validate ``policy`` against :attr:`policy_model` (a one-line error names each bad key)."""
        super().__init__(policy)
        self.options = cast(PolicyT, load_policy(self.policy_model, policy))

    def triage(self, event: Event) -> Triage:
        """:meth:`assess`, with a field of the wrong type turned into a ``reject`` naming its path."""
        try:
            return self.assess(event)
        except InvalidField as error:
            return Triage.reject(str(error))

    @abstractmethod
    def assess(self, event: Event) -> Triage:
        """Read and decide the event offline; may raise :class:`InvalidField`."""


class FindingHandler(PolicyHandler[PolicyT], Generic[FindingT, PolicyT]):
    """A handler whose ``handle`` verdicts carry the finding read at triage (:meth:`Triage.about`)."""

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        """:meth:`respond` to the finding that triage read; notices get the tags that routes look at."""
        if triage.finding is None:
            raise TypeError(f"handler {self.name} decided to handle {event.id} without the finding")
        return await with_routing_tags(await self.respond(cast(FindingT, triage.finding), context), context)

    @abstractmethod
    async def respond(self, finding: FindingT, context: HandlerContext) -> Plan:
        """The plan for a handled finding; reads WS and AWS, never writes."""
