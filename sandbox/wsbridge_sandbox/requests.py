"""Accessors for what a request carries: the sandbox, the parsed body, query flags, path numbers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from wsbridge_sandbox.core import SANDBOX, Sandbox

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON_BODY = web.RequestKey("json", object)
"""Where the middleware leaves the parsed JSON body (``None`` when there is none)."""


def body(request: web.Request) -> Any:
    """The parsed JSON body (parsed once by the middleware)."""
    return request.get(JSON_BODY)


def flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter."""
    return request.query.get(name, "false").lower() == "true"


def number(request: web.Request, name: str = "id") -> int:
    """An integer path parameter."""
    return int(request.match_info[name])


def sandbox(request: web.Request) -> Sandbox:
    """The sandbox serving this request."""
    return request.app[SANDBOX]
