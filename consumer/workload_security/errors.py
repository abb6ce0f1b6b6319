"""Errors raised by the WS client. They carry the API's ``message`` and never the API key."""

from __future__ import annotations

_NOT_RETRIED_5XX = frozenset({501, 505})


class WorkloadSecurityError(Exception):
    """A WS API call failed.

    ``status`` is the HTTP status (``None`` when no response arrived), ``operation`` the client
    operation, ``message`` the API's ``message`` (or a description of the failure), and
    ``retryable`` says whether trying the same thing later can succeed; ``retry_after`` holds the
    server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(self, message: str, *, operation: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status = status
        self.retryable = retryable
        self.retry_after: float | None = None

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        return f"{self.operation}: {status}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(operation={self.operation!r}, status={self.status!r}, "
            f"retryable={self.retryable!r}, message={self.message!r})"
        )


class InvalidRequestError(WorkloadSecurityError):
    """The API refused the request itself (400, 405, 409, 413, ...), or the input was unusable."""


class AuthError(WorkloadSecurityError):
    """The API key is invalid (401) or lacks the right for this call (403)."""


class NotFoundError(WorkloadSecurityError):
    """The object does not exist (404)."""


class RateLimitedError(WorkloadSecurityError):
    """The manager kept answering 429 "Too many API requests"."""


class ServerError(WorkloadSecurityError):
    """The API answered 5xx, timed out, or could not be reached."""


class RequestTimeoutError(ServerError):
    """The API did not answer within the request timeout."""


class CircuitOpenError(WorkloadSecurityError):
    """The client is not calling the API for a while because recent calls kept failing."""


class ScanTimeoutError(WorkloadSecurityError):
    """A scan was started but its result did not show up in time."""


def error_for_status(status: int, message: str, operation: str) -> WorkloadSecurityError:
    """The error for a non-2xx answer, with ``retryable`` set by status."""
    if status == 429:
        return RateLimitedError(message, operation=operation, status=status, retryable=True)
    if status >= 500:
        return ServerError(message, operation=operation, status=status, retryable=status not in _NOT_RETRIED_5XX)
    if status in (401, 403):
        return AuthError(message, operation=operation, status=status)
    if status == 404:
        return NotFoundError(message, operation=operation, status=status)
    return InvalidRequestError(message, operation=operation, status=status)
