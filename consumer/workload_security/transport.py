"""One aiohttp session to the WS API: headers, JSON, retries, rate limit, circuit breaker, metrics."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import orjson
import structlog
from yarl import URL

from wsbridge.consumer.metrics import WS_CIRCUIT_OPEN, WS_REQUEST_DURATION, WS_REQUESTS, WS_RETRIES, labelled
from wsbridge.consumer.workload_security.auth import ApiKey
from wsbridge.consumer.workload_security.backoff import Backoff, parse_retry_after
from wsbridge.consumer.workload_security.breaker import BreakerOpen, CircuitBreaker
from wsbridge.consumer.workload_security.errors import (
    CircuitOpenError,
    ServerError,
    WorkloadSecurityError,
    error_for_status,
)
from wsbridge.consumer.workload_security.options import ClientOptions
from wsbridge.consumer.workload_security.ratelimit import CallBudget, SlidingWindowLimiter
from wsbridge.consumer.workload_security.responses import (
    api_message,
    decode,
    failure_label,
    no_response_error,
    retry_reason,
)

log = structlog.get_logger(__name__)

Params = Sequence[tuple[str, str]]
Reconcile = Callable[[], Awaitable[Any]]


class Transport:
    """Sends one logical call, retrying 429/5xx/timeouts/connection errors within ``max_attempts``."""

    def __init__(
        self,
        base_url: str,
        options: ClientOptions,
        api_key: ApiKey,
        *,
        backoff: Backoff,
        limiter: SlidingWindowLimiter,
        breaker: CircuitBreaker,
        budget: CallBudget | None = None,
    ) -> None:
        self.options = options
        self.budget = budget
        self.backoff = backoff
        self.limiter = limiter
        self.breaker = breaker
        self._api_key = api_key
        self._base = URL(base_url.rstrip("/"))
        self._path_prefix = self._base.raw_path.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        WS_CIRCUIT_OPEN.set(1 if breaker.is_open else 0)

    def __repr__(self) -> str:
        return f"Transport(base_url={str(self._base)!r}, auth_scheme={self.options.auth_scheme.value!r})"

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Params = (),
        max_attempts: int | None = None,
        reconcile: Reconcile | None = None,
    ) -> Any:
        """The decoded JSON answer (``None`` for an empty body).

        ``reconcile`` makes a non-idempotent call safe to retry: after a failure that may have been
        processed (anything but 429), it is awaited before the next attempt, and a non-``None`` result
        is returned instead of sending the call again.
        """
        attempts = max_attempts or self.options.max_attempts
        retry = 0
        key_reloaded = False
        while True:
            if self._closed:
                raise WorkloadSecurityError("the client is closed", operation=operation)
            await self._api_key.refresh_if_stale()
            generation = self._api_key.generation
            try:
                return await self._send(operation, method, path, body, params)
            except WorkloadSecurityError as error:
                if error.status == 401 and not key_reloaded and await self._api_key.reload_after(generation):
                    key_reloaded = True
                    continue
                retry += 1
                if not error.retryable or isinstance(error, CircuitOpenError) or retry >= attempts:
                    raise
                await self._wait_before_retry(operation, retry, error)
                if reconcile is not None and error.status != 429:
                    found = await self._reconcile(operation, reconcile)
                    if found is not None:
                        return found

    async def has_spare_room(self) -> bool:
        """Whether a call that can wait may go now: this process's limiter and the fleet's budget (if
        any) have spare room."""
        if not self.limiter.has_spare_room():
            return False
        return self.budget is None or await self.budget.has_spare_room()

    async def close(self) -> None:
        """Close the HTTP session; later calls fail."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _wait_before_retry(self, operation: str, retry: int, error: WorkloadSecurityError) -> None:
        delay = self.backoff.delay(retry, error.retry_after)
        reason = retry_reason(error)
        if error.status == 429:
            self.limiter.pause(delay)
        WS_RETRIES.labels(reason=reason).inc()
        log.warning("ws_retry", operation=operation, attempt=retry, reason=reason, status=error.status, delay_s=delay)
        await asyncio.sleep(delay)

    async def _reconcile(self, operation: str, reconcile: Reconcile) -> Any:
        try:
            return await reconcile()
        except WorkloadSecurityError as error:
            log.warning("ws_reconcile_failed", operation=operation, error=str(error))
            return None

    async def _send(self, operation: str, method: str, path: str, body: Any, params: Params) -> Any:
        try:
            probe = await self.breaker.acquire()
        except BreakerOpen as open_:
            message = f"calls paused after repeated failures; next probe in {open_.retry_in:.1f} s"
            raise CircuitOpenError(message, operation=operation, retryable=True) from None
        settled = False
        try:
            await self.limiter.acquire()
            try:
                if self.budget is not None:
                    await self.budget.acquire()
                status, raw, retry_after = await self._timed_exchange(operation, method, path, body, params)
            except (TimeoutError, aiohttp.ClientError) as failure:
                settled = True
                self.breaker.record_failure(probe)
                raise no_response_error(failure, operation, self.options.timeout_seconds) from None
            finally:
                self.limiter.release()
            error = None if 200 <= status < 300 else error_for_status(status, api_message(raw, status), operation)
            settled = True
            if isinstance(error, ServerError):
                self.breaker.record_failure(probe)
            else:
                self.breaker.record_success()
            if error is not None:
                error.retry_after = parse_retry_after(retry_after)
                raise error
            return decode(raw, operation)
        finally:
            if not settled:
                self.breaker.release(probe)

    async def _timed_exchange(
        self, operation: str, method: str, path: str, body: Any, params: Params
    ) -> tuple[int, bytes, str | None]:
        started = time.perf_counter()
        try:
            status, raw, retry_after = await self._exchange(method, path, body, params)
        except (TimeoutError, aiohttp.ClientError) as failure:
            labelled(WS_REQUESTS, operation, failure_label(failure)).inc()
            raise
        finally:
            labelled(WS_REQUEST_DURATION, operation).observe(time.perf_counter() - started)
        labelled(WS_REQUESTS, operation, str(status)).inc()
        log.debug("ws_request", operation=operation, method=method, status=status)
        return status, raw, retry_after

    async def _exchange(self, method: str, path: str, body: Any, params: Params) -> tuple[int, bytes, str | None]:
        """``path`` is below the base URL and already URL-safe (built from ids and fixed names)."""
        headers = {"api-version": "v1", "Accept": "application/json", **self._api_key.headers(self.options.auth_scheme)}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = orjson.dumps(body)
        url = self._base.with_path(self._path_prefix + path, encoded=True)
        async with self._client().request(method, url, params=list(params), data=data, headers=headers) as response:
            return response.status, await response.read(), response.headers.get("Retry-After")

    def _client(self) -> aiohttp.ClientSession:
        if self._closed:
            raise aiohttp.ClientConnectionError("the WS client is closed")
        if self._session is None or self._session.closed:
            self._session = open_session(self.options)
        return self._session


def open_session(options: ClientOptions) -> aiohttp.ClientSession:
    """The one session: bounded connections, request timeout, TLS verified unless turned off."""
    tls: ssl.SSLContext | bool = options.verify_tls
    if options.verify_tls and options.ca_file is not None:
        tls = ssl.create_default_context(cafile=str(options.ca_file))
    connector = aiohttp.TCPConnector(
        limit=options.max_connections, limit_per_host=options.max_connections, ttl_dns_cache=300, ssl=tls
    )
    timeout = aiohttp.ClientTimeout(total=options.timeout_seconds, sock_connect=min(options.timeout_seconds, 10.0))
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


def breaker_gauge(opened: bool) -> None:
    """Mirror the breaker on ``wsbridge_ws_circuit_open`` and in the log."""
    WS_CIRCUIT_OPEN.set(1 if opened else 0)
    if opened:
        log.warning("ws_circuit_opened")
    else:
        log.info("ws_circuit_closed")
