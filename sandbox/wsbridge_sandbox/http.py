"""JSON responses and the API's error shape (``{"message": ...}``)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

MANAGER_VERSION = "20.0.1-sandbox"


class ApiError(Exception):
    """An API answer other than 2xx, with the WS ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer; 200s carry ``X-DSM-Version`` like the manager's."""
    extra = dict(headers or {})
    if status == 200:
        extra.setdefault("X-DSM-Version", MANAGER_VERSION)
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json", headers=extra)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The error body every WS API error uses."""
    return json_response({"message": message}, status, headers)


def not_found(kind: str) -> ApiError:
    """404 with the manager's wording ("The computer does not exist.")."""
    return ApiError(404, f"The {kind} does not exist.")


def bad_request(message: str) -> ApiError:
    """400 with ``message``."""
    return ApiError(400, message)


def int_list(value: Any, field: str) -> list[int]:
    """``value`` as a list of ints, or 400."""
    if not isinstance(value, list) or not all(isinstance(item, int) and not isinstance(item, bool) for item in value):
        raise bad_request(f"{field} must be a list of integers")
    return list(value)
