"""The handler registry refuses what it cannot route unambiguously, with a one-line reason."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from wsbridge.consumer.dispatch import Registry, RegistryError
from wsbridge.consumer.envelope import Event
from wsbridge.consumer.handler import Handler, HandlerContext, Plan, Triage


class Base(Handler):
    def triage(self, event: Event) -> Triage:
        return Triage.skip("test")

    async def plan(self, event: Event, triage: Triage, context: HandlerContext) -> Plan:
        return Plan.nothing("test")


class One(Base):
    name = "one"
    sources: ClassVar[dict[str, tuple[str, ...]]] = {"Thing": ("custom.one",)}


class Other(Base):
    name = "other"
    sources: ClassVar[dict[str, tuple[str, ...]]] = {"Thing": ("custom.other",)}


class Silent(Base):
    name = "silent"
    sources: ClassVar[dict[str, tuple[str, ...]]] = {}


class Sourceless(Base):
    name = "sourceless"
    sources: ClassVar[dict[str, tuple[str, ...]]] = {"Thing": ()}


def test_each_detail_type_is_looked_up_to_its_handler() -> None:
    registry = Registry([One()])
    assert registry.lookup("Thing") is not None
    assert registry.lookup("Other thing") is None
    [registration] = registry.registrations()
    assert (registration.detail_type, registration.handler, registration.sources) == ("Thing", "one", ("custom.one",))


@pytest.mark.parametrize(
    ("handlers", "reason"),
    [
        ([One(), Other()], "claimed by both 'one' and 'other'"),
        ([Silent()], "declares no detail-types"),
        ([Sourceless()], "names no source"),
    ],
)
def test_an_ambiguous_or_incomplete_registration_is_refused(handlers: list[Any], reason: str) -> None:
    with pytest.raises(RegistryError, match=reason) as refused:
        Registry(handlers)
    assert "\n" not in str(refused.value)


def test_unknown_enabled_handlers_are_refused() -> None:
    with pytest.raises(RegistryError, match="unknown handler"):
        Registry.from_entry_points({}, enabled=frozenset({"no_such_handler"}))


def test_a_policy_for_an_unknown_handler_is_refused() -> None:
    with pytest.raises(RegistryError, match="policy for unknown handler"):
        Registry.from_entry_points({"no_such_handler": {}})
