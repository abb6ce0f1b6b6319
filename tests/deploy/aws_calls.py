"""The IAM actions the code needs, read from its source: every call on an aiobotocore client.

A client is made with ``<aws>.client("service", ...)``; its calls are attribute calls named after an
operation of one of those services (botocore takes keyword arguments only, so a call with positional
arguments, or keywords outside the operation's input, is not a client call), ``get_paginator("op")``,
and a literal operation name handed to a local helper that calls ``get_paginator(<that parameter>)``.
botocore's service model gives the operation and the IAM prefix (the signing name). Modules are split
by reachability: what the daemon imports (``consumer/daemon.py`` and the handler entry points)
runs under the task role; the rest only in the operator's CLI commands.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore import xform_name
from botocore.model import ServiceModel
from deploy_tools import ROOT

PACKAGES = ("consumer", "handlers")
DAEMON_ENTRY = "wsbridge.consumer.daemon"
NEEDS_NO_PERMISSION = frozenset({"sts:GetCallerIdentity"})
"""Calls IAM never denies."""
AUTHORIZED_AS = {
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:SendMessageBatch": "sqs:SendMessage",
}
"""Batch operations IAM authorizes with the single operation's action."""


@dataclass(frozen=True, order=True)
class Call:
    """One AWS operation called in one module."""

    module: str
    service: str
    operation: str

    @property
    def action(self) -> str:
        """The IAM action that authorizes the call."""
        metadata = _model(self.service).metadata
        action = f"{metadata.get('signingName') or metadata['endpointPrefix']}:{self.operation}"
        return AUTHORIZED_AS.get(action, action)


@cache
def _model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(("wsbridge", *path.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__"): ast.parse(
            path.read_text(), str(path)
        )
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _services(modules: dict[str, ast.Module]) -> set[str]:
    return {
        name
        for tree in modules.values()
        for call in _calls(tree)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "client" and call.args
        if (name := _literal(call.args[0])) is not None
    }


def _operation_helpers(tree: ast.Module) -> dict[str, int]:
    """Local functions that call an operation named by a parameter: name -> index of that argument."""
    helpers = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        parameters = [argument.arg for argument in function.args.args if argument.arg not in ("self", "cls")]
        for call in _calls(function):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "get_paginator" and call.args:
                named = call.args[0]
            elif isinstance(call.func, ast.Name) and call.func.id == "getattr" and len(call.args) == 2:
                named = call.args[1]
            else:
                continue
            if isinstance(named, ast.Name) and named.id in parameters:
                helpers[function.name] = parameters.index(named.id)
    return helpers


def _fits(service: str, operation: str, call: ast.Call) -> bool:
    shape = _model(service).operation_model(operation).input_shape
    members = set(shape.members) if shape is not None else set()
    required = set(shape.required_members) if shape is not None else set()
    keywords = {keyword.arg for keyword in call.keywords}
    if None in keywords:
        return keywords - {None} <= members
    return not call.args and keywords <= members and required <= keywords


def _module_calls(module: str, tree: ast.Module, services: set[str]) -> Iterator[Call]:
    operations = {
        (service, name): xform_name(name) for service in sorted(services) for name in _model(service).operation_names
    }
    helpers = _operation_helpers(tree)
    for call in _calls(tree):
        func = call.func
        callee = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        named: str | None = None
        direct = False
        if callee == "get_paginator" and call.args:
            named = _literal(call.args[0])
        elif callee in helpers and len(call.args) > helpers[callee]:
            named = _literal(call.args[helpers[callee]])
        elif isinstance(func, ast.Attribute):
            named, direct = func.attr, True
        for (service, operation), snake in operations.items():
            if snake == named and (not direct or _fits(service, operation, call)):
                yield Call(module, service, operation)


def _imports(module: str, tree: ast.Module, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join([*module.split(".")[: -node.level], node.module])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    with_parents = {".".join(name.split(".")[:depth]) for name in found for depth in range(1, name.count(".") + 2)}
    return with_parents & known


def _entry_points() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {target.split(":")[0] for target in project["entry-points"]["wsbridge.handlers"].values()}


def daemon_modules() -> set[str]:
    """The modules the running daemon imports (directly or not)."""
    modules = _modules()
    known = set(modules)
    reached: set[str] = set()
    pending = [DAEMON_ENTRY, *sorted(_entry_points())]
    while pending:
        name = pending.pop()
        if name in reached or name not in known:
            continue
        reached.add(name)
        pending.extend(_imports(name, modules[name], known) - reached)
    return reached


def aws_calls() -> set[Call]:
    """Every AWS operation called anywhere in ``consumer/`` and ``handlers/``."""
    modules = _modules()
    services = _services(modules)
    return {call for module, tree in modules.items() for call in _module_calls(module, tree, services)}


def actions(calls: set[Call]) -> set[str]:
    """The IAM actions those calls need."""
    return {call.action for call in calls} - NEEDS_NO_PERMISSION
