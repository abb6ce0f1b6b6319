"""Turning what came back (or did not) into a value, an error, and metric labels."""

from __future__ import annotations

from typing import Any

import orjson

from wsbridge.consumer.workload_security.errors import RequestTimeoutError, ServerError, WorkloadSecurityError


def api_message(raw: bytes, status: int) -> str:
    """The ``message`` of a WS error body, else a short excerpt of the body."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    text = raw[:200].decode("utf-8", "replace").strip()
    return text or f"HTTP {status} without a message"


def decode(raw: bytes, operation: str) -> Any:
    """The JSON of a 2xx answer (``None`` for an empty body)."""
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ServerError("the API answered 2xx with a body that is not JSON", operation=operation) from None


def no_response_error(failure: BaseException, operation: str, timeout: float) -> ServerError:
    """The (retryable) error for a call that got no response."""
    if isinstance(failure, TimeoutError):
        return RequestTimeoutError(f"timed out after {timeout:g} s", operation=operation, retryable=True)
    message = f"connection failed: {type(failure).__name__}: {failure}"
    return ServerError(message, operation=operation, retryable=True)


def failure_label(failure: BaseException) -> str:
    """``status_code`` label of ``wsbridge_ws_requests_total`` for a call that got no response."""
    return "timeout" if isinstance(failure, TimeoutError) else "error"


def retry_reason(error: WorkloadSecurityError) -> str:
    """The ``reason`` label of ``wsbridge_ws_retries_total``."""
    if error.status == 429:
        return "rate_limited"
    if error.status is not None:
        return "server_error"
    return "timeout" if isinstance(error, RequestTimeoutError) else "connection_error"
