"""The aiohttp application: API routes behind the gate (record, faults, version, auth, rate limit)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from wsbridge_sandbox.admin import add_admin_routes
from wsbridge_sandbox.api import add_api_routes
from wsbridge_sandbox.core import SANDBOX, Sandbox
from wsbridge_sandbox.faults import Faults
from wsbridge_sandbox.http import ApiError, error_response
from wsbridge_sandbox.requests import JSON_BODY

API_PREFIX = "/api/"
_MESSAGES = {
    429: "Too many API requests",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_WRITE_TARGETS = {
    "scheduledtasks": "create or modify scheduled tasks",
    "policies": "modify the policy or the requested modification is not permitted",
    "computers": "modify the computer or the requested modification is not permitted",
}


def create_app(sandbox: Sandbox) -> web.Application:
    """The sandbox as an aiohttp application."""
    app = web.Application(middlewares=[api_gate], client_max_size=16 * 1024 * 1024)
    app[SANDBOX] = sandbox
    add_api_routes(app)
    add_admin_routes(app)
    return app


def credentials(request: web.Request) -> tuple[str | None, str | None]:
    """(key, scheme) from ``Authorization: ApiKey <key>`` or ``api-secret-key: <key>``."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "apikey" and value.strip():
        return value.strip(), "apikey"
    secret = request.headers.get("api-secret-key")
    if secret:
        return secret.strip(), "api-secret-key"
    return None, None


@web.middleware
async def api_gate(request: web.Request, handler: Any) -> web.StreamResponse:
    """Record every ``/api`` call and pass it through the manager's checks and the fault knobs."""
    if not request.path.startswith(API_PREFIX):
        response: web.StreamResponse = await handler(request)
        return response
    sb = request.app[SANDBOX]
    key, scheme = credentials(request)
    raw = await request.read()
    parsed, recorded, malformed = None, None, False
    if raw.strip():
        try:
            parsed, recorded = orjson.loads(raw), orjson.loads(raw)
        except orjson.JSONDecodeError:
            malformed, recorded = True, raw[:2000].decode("utf-8", "replace")
    request[JSON_BODY] = parsed
    query = {name: request.query.getall(name) for name in request.query}
    call = sb.calls.start(request.method, request.path, query, recorded, scheme)
    response = await _serve(sb, request, handler, key, malformed, call["faults"])
    call["status"] = response.status
    call["answer"] = answer_body(response)
    return response


def answer_body(response: web.StreamResponse) -> Any:
    """The JSON an answer carried (``None`` when it had no JSON body), for the call log."""
    raw = response.body if isinstance(response, web.Response) else None
    if not isinstance(raw, bytes) or not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


async def _serve(
    sb: Sandbox, request: web.Request, handler: Any, key: str | None, malformed: bool, injected: list[str]
) -> web.StreamResponse:
    faults = sb.faults
    delay_ms = faults.next_delay_ms()
    if delay_ms > 0:
        injected.append("latency")
        await asyncio.sleep(delay_ms / 1000)
    if faults.down:
        injected.append("down")
        return _fault(faults, 503)
    version = request.headers.get("api-version")
    if version != "v1":
        return error_response(
            400, "The api-version header is required." if version is None else f"Unsupported api-version: {version}"
        )
    role = sb.keys.role(key)
    if role is None or key is None:
        return error_response(401, "Invalid API Key")
    if faults.take_throttle():
        injected.append("throttle")
        return _fault(faults, 429)
    if not sb.rates.admit(key, faults.rate_limit_per_minute, faults.rate_limit_window_seconds):
        injected.append("rate_limit")
        return _fault(faults, 429)
    if role == "auditor" and _is_write(request):
        return error_response(403, f"Not authorized to {_write_target(request)}.")
    if malformed:
        return error_response(400, "The request body is not valid JSON.")
    inject = sb.dice.should_fail(faults)
    if inject:
        injected.append("error")
    if inject and not faults.error_after_processing:
        return _fault(faults, faults.error_status)
    try:
        response: web.StreamResponse = await handler(request)
    except ApiError as error:
        response = error_response(error.status, error.message)
    except web.HTTPException as error:
        response = error_response(error.status, "Not found" if error.status == 404 else error.reason)
    return _fault(faults, faults.error_status) if inject else response


def _fault(faults: Faults, status: int) -> web.Response:
    headers = {}
    if faults.retry_after_seconds is not None and status in (429, 503):
        headers["Retry-After"] = f"{faults.retry_after_seconds:g}"
    return error_response(status, _MESSAGES.get(status, "Injected fault"), headers)


def _is_write(request: web.Request) -> bool:
    return request.method in ("POST", "PUT", "DELETE") and not request.path.endswith("/search")


def _write_target(request: web.Request) -> str:
    resource = request.path.removeprefix(API_PREFIX).split("/")[0]
    return _WRITE_TARGETS.get(resource, "perform this action")
