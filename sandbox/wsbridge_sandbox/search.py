"""Evaluation of a WS SearchFilter (``maxItems``, ``searchCriteria`` ANDed, results in ID order).

String values match case-insensitively; with ``stringWildcards`` (default true) ``%`` is any run of
characters and ``_`` one character. A list field (``CVE``) matches when any element does.

An :class:`ExactIndex` answers exact string tests on a few fields without a scan of every object, as a
manager's database does; every object it yields is still tested against the whole filter.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from wsbridge_sandbox.http import bad_request

DEFAULT_MAX_ITEMS = 5000

Predicate = Callable[[dict[str, Any]], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "less-than": operator.lt,
    "less-than-or-equal": operator.le,
    "equal": operator.eq,
    "greater-than-or-equal": operator.ge,
    "greater-than": operator.gt,
    "not-equal": operator.ne,
}


class ExactIndex:
    """The IDs of a table's objects by the lower-cased value of some string fields, built on first use
    and again after :meth:`invalidate` (call it whenever one of those fields may have changed)."""

    def __init__(self, table: Mapping[int, dict[str, Any]], fields: Collection[str]) -> None:
        self._table = table
        self._fields = frozenset(fields)
        self._built: dict[str, dict[str, list[int]]] = {}

    def invalidate(self) -> None:
        """Forget what was built."""
        self._built.clear()

    def candidates(self, criteria: list[Any]) -> list[dict[str, Any]] | None:
        """The objects an exact test among ``criteria`` allows (``None`` when none of them can be indexed)."""
        for criterion in criteria:
            value = _exact_value(criterion)
            field = criterion.get("fieldName")
            if value is not None and field in self._fields:
                ids = self._by_value(field).get(value, [])
                return [self._table[key] for key in ids if key in self._table]
        return None

    def _by_value(self, field: str) -> dict[str, list[int]]:
        built = self._built.get(field)
        if built is None:
            built = self._built[field] = {}
            path = field.split("/")
            for key, obj in self._table.items():
                found = lookup(obj, path)
                for item in found if isinstance(found, list) else [found]:
                    if isinstance(item, str):
                        built.setdefault(item.lower(), []).append(key)
        return built


def _exact_value(criterion: Any) -> str | None:
    """The lower-cased value of a plain ``equal`` string test (no wildcard, ASCII), else ``None``."""
    if not isinstance(criterion, dict) or criterion.get("stringTest", "equal") != "equal":
        return None
    value = criterion.get("stringValue")
    if not isinstance(value, str) or not value.isascii():
        return None
    if criterion.get("stringWildcards", True) and ("%" in value or "_" in value):
        return None
    return value.lower()


def search(
    objects: Iterable[dict[str, Any]],
    body: Any,
    unsearchable: Collection[str] = (),
    *,
    index: ExactIndex | None = None,
) -> list[dict[str, Any]]:
    """The objects matching ``body`` (a SearchFilter), sorted by ID, at most ``maxItems``; ``index``
    narrows ``objects`` when the filter has an exact test on one of its fields."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_request("The search filter must be a JSON object.")
    max_items = body.get("maxItems", DEFAULT_MAX_ITEMS)
    if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 0:
        raise bad_request("maxItems must be a non-negative integer.")
    criteria = body.get("searchCriteria") or []
    if not isinstance(criteria, list):
        raise bad_request("searchCriteria must be a list.")
    predicates = [predicate(item, unsearchable) for item in criteria]
    narrowed = None if index is None else index.candidates(criteria)
    pool = objects if narrowed is None else narrowed
    matches = [obj for obj in pool if all(test(obj) for test in predicates)]
    matches.sort(key=lambda obj: int(obj["ID"]))
    return matches[:max_items]


def predicate(criterion: Any, unsearchable: Collection[str]) -> Predicate:
    """One SearchCriteria as a test on an object."""
    if not isinstance(criterion, dict):
        raise bad_request("Each search criterion must be a JSON object.")
    if "idTest" in criterion or "idValue" in criterion:
        compare = _comparison(criterion.get("idTest", "equal"), "idTest")
        value = _number(criterion.get("idValue"), "idValue")
        return lambda obj: compare(obj["ID"], value)
    field = criterion.get("fieldName")
    if not isinstance(field, str) or not field:
        raise bad_request("fieldName is required for this search criterion.")
    if field in unsearchable:
        raise bad_request(f"Invalid search criteria: the field {field} is not searchable.")
    path = field.split("/")
    test = _value_test(criterion)
    return lambda obj: test(lookup(obj, path))


def lookup(obj: Any, path: list[str]) -> Any:
    """The value at a ``/``-separated field path, ``None`` when absent."""
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def wildcard(pattern: str, enabled: bool) -> re.Pattern[str]:
    """A regex for a string test value."""
    if not enabled:
        return re.compile(re.escape(pattern), re.IGNORECASE)
    parts = ("." if char == "_" else ".*" if char == "%" else re.escape(char) for char in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _value_test(criterion: dict[str, Any]) -> Callable[[Any], bool]:
    if "stringValue" in criterion or "stringTest" in criterion:
        regex = wildcard(str(criterion.get("stringValue", "")), bool(criterion.get("stringWildcards", True)))
        equal = _equal_or_not(criterion.get("stringTest", "equal"), "stringTest")

        def string_test(value: Any) -> bool:
            values = value if isinstance(value, list) else [value]
            hit = any(isinstance(item, str) and regex.fullmatch(item) for item in values)
            return hit if equal else not hit

        return string_test
    if "numericValue" in criterion or "numericTest" in criterion:
        compare = _comparison(criterion.get("numericTest", "equal"), "numericTest")
        number = _number(criterion.get("numericValue"), "numericValue")
        return lambda value: isinstance(value, int | float) and compare(value, number)
    if "choiceValue" in criterion or "choiceTest" in criterion:
        choice = str(criterion.get("choiceValue", "")).lower()
        equal = _equal_or_not(criterion.get("choiceTest", "equal"), "choiceTest")
        return lambda value: (str(value).lower() == choice) == equal
    if "booleanTest" in criterion:
        expected = criterion["booleanTest"]
        return lambda value: value is expected
    if "nullTest" in criterion:
        is_null = bool(criterion["nullTest"])
        return lambda value: (value is None) == is_null
    if "firstDateValue" in criterion or "lastDateValue" in criterion:
        return _date_test(criterion)
    if "versionValue" in criterion or "versionTest" in criterion:
        compare = _comparison(criterion.get("versionTest", "equal"), "versionTest")
        wanted = _version(criterion.get("versionValue"))
        if wanted is None:
            raise bad_request("versionValue must be a version such as 20.0.1.")
        return lambda value: (found := _version(value)) is not None and compare(found, wanted)
    raise bad_request("The search criterion has no test.")


def _date_test(criterion: dict[str, Any]) -> Callable[[Any], bool]:
    first, last = criterion.get("firstDateValue"), criterion.get("lastDateValue")
    low = operator.ge if criterion.get("firstDateInclusive", True) else operator.gt
    high = operator.le if criterion.get("lastDateInclusive", True) else operator.lt

    def test(value: Any) -> bool:
        if not isinstance(value, int | float):
            return False
        return (first is None or low(value, first)) and (last is None or high(value, last))

    return test


def _comparison(name: Any, field: str) -> Callable[[Any, Any], bool]:
    if name not in _COMPARE:
        raise bad_request(f"Invalid {field}: {name}")
    return _COMPARE[name]


def _equal_or_not(name: Any, field: str) -> bool:
    if name not in ("equal", "not-equal"):
        raise bad_request(f"Invalid {field}: {name}")
    return bool(name == "equal")


def _version(value: Any) -> tuple[int, ...] | None:
    """``"20.0.1-3"`` -> ``(20, 0, 1, 3)``; ``None`` when ``value`` is not a version."""
    if not isinstance(value, str) or not re.fullmatch(r"\d+([.-]\d+)*", value.strip()):
        return None
    return tuple(int(part) for part in re.split(r"[.-]", value.strip()))


def _number(value: Any, field: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise bad_request(f"{field} must be a number.")
    return float(value)
