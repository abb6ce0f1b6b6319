"""The test-control routes under ``/_sandbox`` (never recorded as API calls, never authenticated)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from wsbridge_sandbox.core import SANDBOX, Sandbox
from wsbridge_sandbox.http import error_response, json_response
from wsbridge_sandbox.seeding import SeedError
from wsbridge_sandbox.state import RULE_MODULES


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


async def _json(request: web.Request) -> Any:
    raw = await request.read()
    return orjson.loads(raw) if raw.strip() else {}


async def calls(request: web.Request) -> web.Response:
    """``GET /_sandbox/calls[?since=N]``: API calls in arrival order (``seq`` > N)."""
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        return error_response(400, "since must be an integer")
    log = _sandbox(request).calls
    return json_response({"calls": log.since(since), "last_seq": log.last_seq})


async def reset(request: web.Request) -> web.Response:
    """``POST /_sandbox/reset``: objects back to the current seed, default faults, empty call log."""
    _sandbox(request).reset()
    return json_response({"reset": True})


async def seed(request: web.Request) -> web.Response:
    """``POST /_sandbox/seed``: replace the sections named in the body; reset restores this seed from now on."""
    try:
        _sandbox(request).reseed(await _json(request))
    except (SeedError, orjson.JSONDecodeError) as error:
        return error_response(400, str(error))
    world = _sandbox(request).world
    counts = {
        "computers": len(world.computers),
        "policies": len(world.policies),
        **{section: len(world.catalogues[module]) for module, section in RULE_MODULES.items()},
        "applicationTypes": len(world.application_types),
    }
    return json_response({"seeded": counts})


async def faults(request: web.Request) -> web.Response:
    """``GET``: current knobs. ``POST``: change the named knobs, answer with all of them."""
    sb = _sandbox(request)
    if request.method == "POST":
        try:
            changes = await _json(request)
        except orjson.JSONDecodeError:
            return error_response(400, "faults must be a JSON object")
        if not isinstance(changes, dict):
            return error_response(400, "faults must be a JSON object")
        try:
            sb.set_faults(changes)
        except ValidationError as error:
            return error_response(400, _first(error))
    return json_response(sb.faults.model_dump())


async def state(request: web.Request) -> web.Response:
    """``GET /_sandbox/state``: every object as stored, the faults and the number of calls."""
    sb = _sandbox(request)
    return json_response({**sb.world.snapshot(), "faults": sb.faults.model_dump(), "calls": sb.calls.last_seq})


async def health(request: web.Request) -> web.Response:
    """``GET /_sandbox/health``: the server is up."""
    return json_response({"ok": True})


def add_admin_routes(app: web.Application) -> None:
    """Register the ``/_sandbox`` routes."""
    app.router.add_get("/_sandbox/calls", calls)
    app.router.add_post("/_sandbox/reset", reset)
    app.router.add_post("/_sandbox/seed", seed)
    app.router.add_get("/_sandbox/faults", faults)
    app.router.add_post("/_sandbox/faults", faults)
    app.router.add_get("/_sandbox/state", state)
    app.router.add_get("/_sandbox/health", health)


def _first(error: ValidationError) -> str:
    item = error.errors()[0]
    where = ".".join(str(part) for part in item["loc"])
    return f"{where}: {item['msg']}"
