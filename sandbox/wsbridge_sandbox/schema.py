"""Trend's API definition, as strict as the manager: unknown fields, enum values and types are refused.

``schema.json`` is the part of Trend's Python SDK (``deep-security-api``) that covers the routes the
sandbox serves: per route its query parameters, body and answer models; per model its JSON keys,
types and enum values; the ``expand`` values. It is generated (``python tests/contract/sdk.py``), and
the contract tests fail when it differs from the SDK.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

MAX_ITEMS = 5000
"""The largest ``maxItems`` the manager accepts (its default, too)."""

Models = Mapping[str, Mapping[str, Any]]

_PRIMITIVE_CHECKS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "date": (str,),
    "datetime": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}


@cache
def schema() -> dict[str, Any]:
    """The packaged ``schema.json``."""
    text = resources.files("wsbridge_sandbox").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def body_problems(data: Any, kind: str, models: Models, where: str = "") -> list[str]:
    """What in ``data`` the model ``kind`` does not allow: unknown keys, wrong types, unknown enum values."""
    if data is None or kind == "object":
        return []
    label = where or kind
    if kind.startswith("list["):
        if not isinstance(data, list):
            return [f"{label} must be a list"]
        return [p for i, item in enumerate(data) for p in body_problems(item, kind[5:-1], models, f"{label}[{i}]")]
    if kind.startswith("dict("):
        if not isinstance(data, dict):
            return [f"{label} must be an object"]
        value_kind = kind[5:-1].split(", ", 1)[1]
        return [p for key, item in data.items() for p in body_problems(item, value_kind, models, f"{label}.{key}")]
    if kind in _PRIMITIVE_CHECKS:
        wanted = _PRIMITIVE_CHECKS[kind]
        if not isinstance(data, wanted) or (kind != "bool" and isinstance(data, bool)):
            return [f"{label} must be of type {kind}"]
        return []
    model = models.get(kind)
    if model is None:
        return [f"{label}: unknown model {kind}"]
    if not isinstance(data, dict):
        return [f"{label} must be an object ({kind})"]
    problems: list[str] = []
    fields: Mapping[str, str] = model["fields"]
    enums: Mapping[str, list[str]] = model["enums"]
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in fields:
            problems.append(f"Unrecognized field {path} ({kind} has no such field)")
            continue
        problems.extend(body_problems(value, fields[key], models, path))
        if key in enums and value is not None:
            values = value if isinstance(value, list) else [value]
            problems.extend(f"Invalid value for {path}: {item}" for item in values if item not in enums[key])
    return problems


def field_exists(models: Models, kind: str, field_name: str) -> bool:
    """Whether a search ``fieldName`` (``/`` for nested fields) names a field of model ``kind``."""
    for part in field_name.split("/"):
        model = models.get(kind)
        if model is None or part not in model["fields"]:
            return False
        kind = re.sub(r"^list\[(.*)\]$", r"\1", model["fields"][part])
    return True


def search_problems(data: Any, kind: str, models: Models) -> list[str]:
    """A SearchFilter's ``maxItems`` range and ``fieldName``s, checked against the searched model ``kind``."""
    if not isinstance(data, dict):
        return []
    problems: list[str] = []
    max_items = data.get("maxItems")
    if isinstance(max_items, int) and not 0 <= max_items <= MAX_ITEMS:
        problems.append(f"maxItems must be between 0 and {MAX_ITEMS}")
    for criterion in data.get("searchCriteria") or []:
        name = criterion.get("fieldName") if isinstance(criterion, dict) else None
        if isinstance(name, str) and not field_exists(models, kind, name):
            problems.append(f"Invalid search criteria: {kind} has no field {name}")
    return problems


def query_problems(allowed: Mapping[str, str], query: Mapping[str, list[str]], expand: Any) -> list[str]:
    """Query parameters the route does not take, ``expand`` values that do not exist, non-boolean flags."""
    problems: list[str] = []
    for name, values in query.items():
        kind = allowed.get(name)
        if kind is None:
            problems.append(f"Unrecognized query parameter {name}")
        elif name == "expand":
            problems.extend(f"Invalid expand value: {value}" for value in values if value not in expand)
        elif kind == "bool":
            problems.extend(f"{name} must be true or false: {v}" for v in values if v.lower() not in _BOOLEANS)
        elif kind == "int":
            problems.extend(f"{name} must be an integer: {value}" for value in values if not value.isdigit())
    return problems


_BOOLEANS = ("true", "false")


def element_model(wrapper: str | None, models: Models) -> str | None:
    """``Computers`` -> ``Computer``: the model of a list answer's elements."""
    model = models.get(wrapper or "")
    if model is None:
        return None
    lists = [kind[5:-1] for kind in model["fields"].values() if kind.startswith("list[")]
    return lists[0] if len(lists) == 1 else None


def request_problems(route: str, query: Mapping[str, list[str]], data: Any) -> list[str]:
    """Everything the manager would refuse in a request to ``route`` (``"POST /computers/search"``)."""
    spec = schema()
    definition = spec["routes"][route]
    models: Models = spec["models"]
    problems = query_problems(definition["query"], query, frozenset(spec["expand"]))
    body_kind = definition["body"]
    if body_kind is not None and data is not None:
        problems.extend(body_problems(data, body_kind, models))
        if body_kind == "SearchFilter":
            problems.extend(search_problems(data, element_model(definition["answer"], models) or "", models))
    return problems
