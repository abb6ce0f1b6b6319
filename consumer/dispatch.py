"""The detail-type -> handler registry, loaded from the ``wsbridge.handlers`` entry-point group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from wsbridge.consumer.handler import Handler

ENTRY_POINT_GROUP = "wsbridge.handlers"


class RegistryError(Exception):
    """The handler plugins cannot be loaded or conflict; the message is one line."""


@dataclass(frozen=True, slots=True)
class Registration:
    """One line of ``wsbridge handlers``."""

    detail_type: str
    handler: str
    target: str
    sources: tuple[str, ...]


class Registry:
    """Maps each detail-type to exactly one handler instance."""

    def __init__(self, handlers: Iterable[Handler]) -> None:
        self._by_detail_type: dict[str, Handler] = {}
        for handler in handlers:
            if not handler.detail_types:
                raise RegistryError(f"handler {handler.name!r} declares no detail-types")
            for detail_type in handler.detail_types:
                if not getattr(handler, "sources", {}).get(detail_type):
                    raise RegistryError(
                        f"handler {handler.name!r} names no source that may send detail-type {detail_type!r}"
                    )
                other = self._by_detail_type.get(detail_type)
                if other is not None:
                    raise RegistryError(
                        f"detail-type {detail_type!r} is claimed by both {other.name!r} and {handler.name!r}"
                    )
                self._by_detail_type[detail_type] = handler

    @classmethod
    def from_entry_points(
        cls, policies: Mapping[str, Any] | None = None, enabled: frozenset[str] | None = None
    ) -> Registry:
        """Load the installed plugins (all, or the ``enabled`` entry-point names), each with its policy table."""
        configured = dict(policies or {})
        policies = dict(configured)
        handlers = []
        points = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda item: item.name)
        if enabled is not None:
            missing = enabled - {point.name for point in points}
            if missing:
                raise RegistryError(f"WSBRIDGE_HANDLERS names unknown handler(s): {', '.join(sorted(missing))}")
            points = [point for point in points if point.name in enabled]
        for point in points:
            try:
                handler_class = point.load()
            except Exception as error:
                raise RegistryError(f"handler plugin {point.name!r} ({point.value}) failed to load: {error}") from None
            if not (isinstance(handler_class, type) and issubclass(handler_class, Handler)):
                raise RegistryError(f"handler plugin {point.name!r} ({point.value}) is not a Handler subclass")
            policy = dict(policies.pop(handler_class.name, {}))
            for other in handler_class.inherits_policies:
                policy.setdefault(other, configured.get(other, {}))
            try:
                handlers.append(handler_class(policy))
            except Exception as error:
                raise RegistryError(f"handler {handler_class.name!r}: invalid policy: {error}") from None
        if policies and enabled is None:
            raise RegistryError(f"handler policy for unknown handler(s): {', '.join(sorted(policies))}")
        return cls(handlers)

    def lookup(self, detail_type: str) -> Handler | None:
        """The handler for a detail-type, or ``None``."""
        return self._by_detail_type.get(detail_type)

    def registrations(self) -> list[Registration]:
        """Every detail-type with its handler, sorted by detail-type."""
        return [
            Registration(
                detail_type,
                handler.name,
                f"{type(handler).__module__}:{type(handler).__qualname__}",
                tuple(handler.sources[detail_type]),
            )
            for detail_type, handler in sorted(self._by_detail_type.items())
        ]
