"""Trend's definition of the API, read from its Python SDK (``deep-security-api``, package ``deepsecurity``).

``routes()`` are the SDK's operations (method, path template, query parameters, body and answer
types), parsed from ``deepsecurity/api/*.py``; ``MODELS`` are its models (JSON keys, types, enum
values). Nothing here is written by hand: when the SDK changes, so does what the contract tier checks.

``python tests/contract/sdk.py`` rewrites the sandbox's copy (``wsbridge_sandbox/schema.json``), the
subset of the SDK that the sandbox serves and enforces.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import deepsecurity
import deepsecurity.api
import deepsecurity.models
from deepsecurity.models.expand import Expand

SDK_VERSION = "20.0.463"
PRIMITIVES = {"str", "int", "float", "bool", "object", "date", "datetime"}
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "sandbox" / "wsbridge_sandbox" / "schema.json"


@dataclass(frozen=True)
class Model:
    """One SDK model: JSON key -> type (``str``, ``list[Rule]``, ``dict(str, SettingValue)``, ...), enums."""

    name: str
    fields: dict[str, str]
    enums: dict[str, list[str]]


@dataclass(frozen=True)
class Route:
    """One SDK operation."""

    operation: str
    method: str
    template: str
    path_types: dict[str, str]
    query: dict[str, str]
    body: str | None
    answer: str | None
    pattern: re.Pattern[str] = field(compare=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _enums(cls: type) -> dict[str, list[str]]:
    """Python attribute -> allowed values, from the ``allowed_values`` list in each property setter."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(inspect.getsource(cls))):
        if not isinstance(node, ast.FunctionDef):
            continue
        if not any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list):
            continue
        for statement in ast.walk(node):
            if (
                isinstance(statement, ast.Assign)
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id == "allowed_values"
            ):
                found[node.name] = list(ast.literal_eval(statement.value))
    return found


@cache
def models() -> dict[str, Model]:
    """Every SDK model with ``swagger_types``, by class name."""
    result: dict[str, Model] = {}
    for name, cls in vars(deepsecurity.models).items():
        if not inspect.isclass(cls) or not getattr(cls, "swagger_types", None):
            continue
        keys = cls.attribute_map
        enums = {keys[attr]: values for attr, values in _enums(cls).items() if attr in keys}
        result[name] = Model(name, {keys[attr]: kind for attr, kind in cls.swagger_types.items()}, enums)
    return result


EXPAND_VALUES: frozenset[str] = frozenset(
    value for key, value in vars(Expand).items() if not key.startswith("_") and isinstance(value, str)
)


def _param_types(docstring: str) -> dict[str, str]:
    return {name: kind for kind, name in re.findall(r":param (\S+) (\w+):", docstring)}


def _route(name: str, function: ast.FunctionDef) -> Route | None:
    types = _param_types(ast.get_docstring(function) or "")
    call = next(
        (
            node
            for node in ast.walk(function)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call_api"
        ),
        None,
    )
    if call is None:
        return None
    template, method = (ast.literal_eval(arg) for arg in call.args[:2])
    answer = next((ast.literal_eval(k.value) for k in call.keywords if k.arg == "response_type"), None)
    query: dict[str, str] = {}
    path_types: dict[str, str] = {}
    body: str | None = None
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append":
            target = node.func.value
            if isinstance(target, ast.Name) and target.id == "query_params":
                pair = node.args[0]
                assert isinstance(pair, ast.Tuple)
                query[ast.literal_eval(pair.elts[0])] = types[_subscript_key(pair.elts[1])]
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id == "body_params" and isinstance(node.value, ast.Subscript):
            body = types[_subscript_key(node.value)]
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            if isinstance(target.value, ast.Name) and target.value.id == "path_params":
                path_types[ast.literal_eval(target.slice)] = types[_subscript_key(node.value)]
    regex = re.sub(r"\{(\w+)\}", lambda m: r"\d+" if path_types.get(m.group(1)) == "int" else "[^/]+", template)
    return Route(name, method, template, path_types, query, body, answer, re.compile(regex + "$"))


def _subscript_key(node: ast.expr) -> str:
    assert isinstance(node, ast.Subscript)
    key: str = ast.literal_eval(node.slice)
    return key


@cache
def routes() -> tuple[Route, ...]:
    """Every operation of every SDK api module."""
    found: list[Route] = []
    directory = Path(deepsecurity.api.__file__).parent
    for module in sorted(directory.glob("*_api.py")):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            for function in node.body:
                if isinstance(function, ast.FunctionDef) and function.name.endswith("_with_http_info"):
                    route = _route(function.name.removesuffix("_with_http_info"), function)
                    if route is not None:
                        found.append(route)
    return tuple(found)


def route_for(method: str, path: str) -> Route | None:
    """The SDK operation serving ``method path`` (path without ``/api``); literal segments win."""
    matches = [r for r in routes() if r.method == method and r.pattern.match(path)]
    matches.sort(key=lambda r: r.template.count("{"))
    return matches[0] if matches else None


@cache
def model_table() -> dict[str, dict[str, Any]]:
    """Every model as ``{"fields": ..., "enums": ...}`` (the shape of ``schema.json``'s models)."""
    return {name: {"fields": model.fields, "enums": model.enums} for name, model in models().items()}


def closure(names: set[str]) -> dict[str, Model]:
    """The named models and every model they reference."""
    pending, seen = set(names), {}
    known = models()
    while pending:
        name = pending.pop()
        if name in seen or name not in known:
            continue
        seen[name] = known[name]
        for kind in known[name].fields.values():
            pending.update(re.findall(r"[A-Z]\w*", kind))
    return dict(sorted(seen.items()))


SANDBOX_RESOURCES = ("computers", "policies", "intrusionpreventionrules", "applicationtypes", "scheduledtasks")


def sandbox_schema() -> dict[str, Any]:
    """The part of the SDK the sandbox enforces: its routes, their models, the ``expand`` values."""
    served = [r for r in routes() if r.template.split("/")[1] in SANDBOX_RESOURCES]
    names = {kind for r in served for kind in (r.body, r.answer) if kind}
    return {
        "sdk": f"deep-security-api {SDK_VERSION}",
        "expand": sorted(EXPAND_VALUES),
        "routes": {
            r.key: {"query": r.query, "body": r.body, "answer": r.answer, "operation": r.operation} for r in served
        },
        "models": {name: {"fields": model.fields, "enums": model.enums} for name, model in closure(names).items()},
    }


def render(schema: dict[str, Any]) -> str:
    """The schema file's text."""
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(sandbox_schema()), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE} ({len(sandbox_schema()['models'])} models)", file=sys.stderr)
