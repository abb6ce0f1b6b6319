"""One recorded call (``/_sandbox/calls``) held to the SDK: request and answer, both directions."""

from __future__ import annotations

from typing import Any

from contract import sdk
from deepsecurity.api_client import ApiClient
from wsbridge_sandbox.schema import body_problems, element_model, query_problems, search_problems

_DESERIALIZER = ApiClient()


def sdk_parse(data: Any, kind: str) -> str | None:
    """Why the SDK's own deserializer refuses ``data`` as ``kind`` (strict enums), or ``None``."""
    try:
        _DESERIALIZER._ApiClient__deserialize(data, kind)  # type: ignore[attr-defined]
    except (ValueError, TypeError, AttributeError) as error:
        return f"SDK deserializer: {error}"
    return None


def model_problems(data: Any, kind: str) -> list[str]:
    """Keys the model lacks, wrong types, enum values the SDK refuses."""
    problems = body_problems(data, kind, sdk.model_table())
    refused = sdk_parse(data, kind)
    return problems + ([refused] if refused else [])


def request_problems(call: dict[str, Any]) -> list[str]:
    """The route exists, query and ``expand`` are allowed, the body is the route's model, search fields exist."""
    path = call["path"].removeprefix("/api")
    route = sdk.route_for(call["method"], path)
    if route is None:
        return [f"{call['method']} {path}: no such SDK operation"]
    where = f"{route.operation} ({call['method']} {path})"
    problems = query_problems(route.query, call.get("query") or {}, sdk.EXPAND_VALUES)
    body = call.get("body")
    if body is not None and route.body is None:
        problems.append("a body, but the operation takes none")
    elif body is not None and route.body is not None:
        problems.extend(model_problems(body, route.body))
        if route.body == "SearchFilter":
            searched = element_model(route.answer, sdk.model_table()) or "?"
            problems.extend(search_problems(body, searched, sdk.model_table()))
    return [f"{where}: request: {problem}" for problem in problems]


def answer_problems(call: dict[str, Any]) -> list[str]:
    """A 2xx answer is the operation's answer model; any other is ``{"message": str}``."""
    route = sdk.route_for(call["method"], call["path"].removeprefix("/api"))
    answer, status = call.get("answer"), call["status"]
    if route is None or status is None:
        return []
    where = f"{route.operation} ({call['method']} {call['path']}) {status}"
    if 200 <= status < 300:
        if route.answer is None:
            return [] if answer is None else [f"{where}: answer: a body, but the operation answers none"]
        if answer is None:
            return [f"{where}: answer: no body, expected {route.answer}"]
        return [f"{where}: answer: {problem}" for problem in model_problems(answer, route.answer)]
    if not (isinstance(answer, dict) and set(answer) == {"message"} and isinstance(answer["message"], str)):
        return [f"{where}: answer: not the API's error shape: {answer!r}"]
    return []


def call_problems(call: dict[str, Any]) -> list[str]:
    """Both directions of one call."""
    return request_problems(call) + answer_problems(call)
