"""Type-checked reads from decoded JSON, so that a wrong type anywhere becomes a one-line reason.

Absent keys and JSON ``null`` read as ``None``; a value of the wrong type raises :class:`InvalidField`
naming its path (``detail.resource.resourceType is a JSON number, not a string``).
"""

from __future__ import annotations

from wsbridge.consumer.json_types import json_type


class InvalidField(Exception):
    """A field is missing or has the wrong JSON type; ``str()`` is the one-line reason."""


class Node:
    """A decoded JSON value and the path it was read from."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str) -> None:
        self.value = value
        self.path = path

    @property
    def present(self) -> bool:
        """Whether the value exists and is not ``null``."""
        return self.value is not None

    def child(self, key: str) -> Node:
        """The member ``key`` of this object (absent when this node is absent)."""
        path = f"{self.path}.{key}"
        if self.value is None:
            return Node(None, path)
        if not isinstance(self.value, dict):
            raise self._wrong("an object")
        return Node(self.value.get(key), path)

    def at(self, *keys: str) -> Node:
        """Follow several members at once."""
        node = self
        for key in keys:
            node = node.child(key)
        return node

    def items(self) -> list[Node]:
        """The elements of this array (none when absent)."""
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self._wrong("an array")
        return [Node(item, f"{self.path}[{index}]") for index, item in enumerate(self.value)]

    def text(self, *, required: bool = False) -> str | None:
        """This value as a string; ``required`` also refuses absent and blank strings."""
        if self.value is None:
            self._require(required)
            return None
        if not isinstance(self.value, str):
            raise self._wrong("a string")
        if required and not self.value.strip():
            raise InvalidField(f"{self.path} is an empty string")
        return self.value

    def number(self, *, required: bool = False) -> float | None:
        """This value as a number (booleans are not numbers)."""
        if self.value is None:
            self._require(required)
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self._wrong("a number")
        return float(self.value)

    def flag(self) -> bool:
        """This value as a boolean; absent reads as ``False``."""
        if self.value is None:
            return False
        if not isinstance(self.value, bool):
            raise self._wrong("a boolean")
        return self.value

    def texts(self) -> list[str]:
        """This array's elements, each a string."""
        return [item.text(required=True) or "" for item in self.items()]

    def _require(self, required: bool) -> None:
        if required:
            raise InvalidField(f"{self.path} is missing")

    def _wrong(self, expected: str) -> InvalidField:
        return InvalidField(f"{self.path} is a JSON {json_type(self.value)}, not {expected}")
