"""Failure handling against the sandbox: retries, 429, the breaker, the rate limit, auth, timeouts."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from wsbridge.consumer.workload_security import (
    AuthError,
    CircuitOpenError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    WorkloadSecurityClient,
)

MakeClient = Callable[..., WorkloadSecurityClient]
Metric = Callable[..., float]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_thirty_percent_server_errors_end_in_success_with_bounded_attempts(
    sandbox: Any, make_client: MakeClient, metric: Metric
) -> None:
    await sandbox.faults(error_rate=0.3, error_status=500, random_seed=7)
    client = make_client(max_attempts=8, breaker_failures=50, cache_ttl_seconds=0)
    retries_before = metric("wsbridge_ws_retries_total", reason="server_error")
    errors_before = metric("wsbridge_ws_requests_total", operation="get_computer", status_code="500")
    for round_ in range(40):
        computer = await client.get_computer(1 + round_ % 4)
        assert computer.id == 1 + round_ % 4
    calls = await sandbox.calls()
    failures = sum(1 for call in calls if call["status"] == 500)
    assert failures >= 8, "the dice must really have failed calls"
    assert len(calls) == 40 + failures
    assert metric("wsbridge_ws_retries_total", reason="server_error") - retries_before == failures
    assert metric("wsbridge_ws_requests_total", operation="get_computer", status_code="500") - errors_before == failures
    longest_run = max(len(run) for run in "".join("x" if c["status"] == 500 else "." for c in calls).split(".") if run)
    assert longest_run < 8


async def test_a_429_burst_is_retried_until_it_passes(sandbox: Any, make_client: MakeClient, metric: Metric) -> None:
    await sandbox.faults(fail_next=3, error_status=429)
    before = metric("wsbridge_ws_retries_total", reason="rate_limited")
    assert (await make_client().get_computer(1)).id == 1
    assert [c["status"] for c in await sandbox.calls()] == [429, 429, 429, 200]
    assert metric("wsbridge_ws_retries_total", reason="rate_limited") - before == 3


async def test_the_managers_60_second_window_is_ridden_out(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(rate_limit_per_minute=20, rate_limit_window_seconds=0.5)
    client = make_client(max_attempts=12, retry_base_seconds=0.05, retry_max_seconds=0.5)
    results = await asyncio.gather(*(client.get_computer(1 + n % 4) for n in range(50)))
    assert len(results) == 50
    statuses = [c["status"] for c in await sandbox.calls()]
    assert statuses.count(200) == 50 and statuses.count(429) > 0
    assert set(statuses) == {200, 429}


async def test_retry_after_is_honoured(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(fail_next=1, error_status=503, retry_after_seconds=0.4)
    await make_client().get_computer(1)
    first, second = await sandbox.calls()
    assert (first["status"], second["status"]) == (503, 200)
    assert second["time"] - first["time"] >= 0.35


async def test_rate_limit_gives_up_with_a_retryable_error(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(fail_next=10, error_status=429)
    with pytest.raises(RateLimitedError) as raised:
        await make_client(max_attempts=3).get_computer(1)
    assert raised.value.retryable and raised.value.status == 429
    assert raised.value.message == "Too many API requests"
    assert len(await sandbox.calls()) == 3


async def test_the_client_rate_limit_keeps_200_concurrent_calls_under_the_managers_limit(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(rate_limit_per_minute=120, rate_limit_window_seconds=1.0)
    client = make_client(rate_limit_per_minute=100, rate_limit_window_seconds=1.0, max_attempts=1)
    started = time.monotonic()
    await asyncio.gather(*(client.get_computer(1 + n % 4) for n in range(200)))
    elapsed = time.monotonic() - started
    statuses = [c["status"] for c in await sandbox.calls()]
    assert statuses == [200] * 200
    assert elapsed >= 1.0, "the second hundred had to wait for the window"


async def test_without_the_client_limit_the_same_burst_is_throttled(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(rate_limit_per_minute=120)
    client = make_client(max_attempts=1)
    results = await asyncio.gather(*(client.get_computer(1) for _ in range(200)), return_exceptions=True)
    throttled = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(throttled) == 80
    assert [c["status"] for c in await sandbox.calls()].count(429) == 80


async def test_the_breaker_opens_fails_fast_and_closes_after_a_probe(
    sandbox: Any, make_client: MakeClient, metric: Metric
) -> None:
    client = make_client(max_attempts=1, breaker_failures=3, breaker_reset_seconds=0.3)
    await sandbox.faults(down=True)
    for _ in range(3):
        with pytest.raises(ServerError) as raised:
            await client.get_computer(1)
        assert raised.value.status == 503 and raised.value.retryable
    assert client.circuit_open
    assert metric("wsbridge_ws_circuit_open") == 1
    with pytest.raises(CircuitOpenError) as refused:
        await client.get_computer(1)
    assert refused.value.retryable and refused.value.status is None
    assert len(await sandbox.calls()) == 3, "an open circuit sends nothing"

    await asyncio.sleep(0.35)
    assert not client.circuit_open, "half-open: the poller may receive again and a call probes"
    with pytest.raises(ServerError):
        await client.get_computer(1)
    assert client.circuit_open, "a failed probe opens the circuit again"

    await sandbox.faults(down=False)
    await asyncio.sleep(0.35)
    assert (await client.get_computer(1)).id == 1
    assert not client.circuit_open
    assert metric("wsbridge_ws_circuit_open") == 0


async def test_concurrent_callers_wait_for_the_probe(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(max_attempts=1, breaker_failures=1, breaker_reset_seconds=0.2)
    await sandbox.faults(fail_next=1, error_status=500)
    with pytest.raises(ServerError):
        await client.check()
    await asyncio.sleep(0.25)
    await sandbox.faults(latency_ms=100)
    results = await asyncio.gather(*(client.get_computer(2) for _ in range(10)))
    assert [c.id for c in results] == [2] * 10
    calls = await sandbox.calls()
    assert len(calls) == 11
    assert calls[1]["time"] + 0.09 <= min(c["time"] for c in calls[2:]), "the others went after the probe answered"


async def test_an_invalid_key_is_a_clear_error_and_never_retried(
    sandbox: Any, make_client: MakeClient, metric: Metric
) -> None:
    retries_before = sum(
        metric("wsbridge_ws_retries_total", reason=r) for r in ("rate_limited", "server_error", "timeout")
    )
    client = make_client(api_key="not-the-key")
    with pytest.raises(AuthError) as raised:
        await client.get_computer(1)
    assert (raised.value.status, raised.value.message, raised.value.retryable) == (401, "Invalid API Key", False)
    assert str(raised.value) == "get_computer: HTTP 401: Invalid API Key"
    assert [c["status"] for c in await sandbox.calls()] == [401]
    assert not client.circuit_open
    retries_after = sum(
        metric("wsbridge_ws_retries_total", reason=r) for r in ("rate_limited", "server_error", "timeout")
    )
    assert retries_after == retries_before


async def test_a_read_only_key_cannot_start_scans(sandbox: Any, make_client: MakeClient) -> None:
    client = make_client(api_key="sandbox-auditor-key")
    assert (await client.get_computer(1)).id == 1
    with pytest.raises(AuthError) as raised:
        await client.run_malware_scan(1)
    assert raised.value.status == 403
    assert raised.value.message == "Not authorized to create or modify scheduled tasks."
    assert [c["status"] for c in await sandbox.calls()] == [200, 200, 403]


async def test_timeouts_are_retried_then_reported(sandbox: Any, make_client: MakeClient, metric: Metric) -> None:
    await sandbox.faults(latency_ms=400)
    before = metric("wsbridge_ws_requests_total", operation="get_computer", status_code="timeout")
    with pytest.raises(RequestTimeoutError) as raised:
        await make_client(timeout_seconds=0.15, max_attempts=2).get_computer(1)
    assert raised.value.retryable and raised.value.status is None
    assert metric("wsbridge_ws_requests_total", operation="get_computer", status_code="timeout") - before == 2
    assert len(await sandbox.calls()) == 2


async def test_connection_errors_are_retryable(make_client: MakeClient, metric: Metric) -> None:
    before = metric("wsbridge_ws_retries_total", reason="connection_error")
    client = make_client(url=f"http://127.0.0.1:{closed_port()}/api", max_attempts=3, breaker_failures=10)
    with pytest.raises(ServerError) as raised:
        await client.get_policy(1)
    assert raised.value.retryable and raised.value.status is None
    assert raised.value.message.startswith("connection failed")
    assert metric("wsbridge_ws_retries_total", reason="connection_error") - before == 2


async def test_a_create_that_was_processed_but_answered_500_is_found_by_name(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(task_auto_delete=False, fail_next=1, error_status=500, error_after_processing=True)
    await start_scan(make_client(), "integrity", 1)
    assert await scan_calls(sandbox) == [
        ("POST", "/api/scheduledtasks", 500),
        ("POST", "/api/scheduledtasks/search", 200),
        ("DELETE", "/api/scheduledtasks/1", 204),
    ]
    assert (await sandbox.state())["scheduledTasks"] == []


async def test_a_lost_answer_for_a_task_the_manager_already_deleted_is_found_by_the_scan_date(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(fail_next=1, error_status=503, error_after_processing=True)
    await start_scan(make_client(), "integrity", 1)
    assert await scan_calls(sandbox) == [
        ("POST", "/api/scheduledtasks", 503),
        ("POST", "/api/scheduledtasks/search", 200),
        ("GET", "/api/computers/1", 200),
    ], "no second create, and no delete of a task that is gone"
    assert (await sandbox.computer(1))["_sandbox"]["scans"] == {"scan-for-integrity-changes": 1}


async def test_a_create_that_failed_before_processing_is_sent_again(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(fail_next=1, error_status=502)
    await start_scan(make_client(), "integrity", 1)
    assert await scan_calls(sandbox) == [
        ("POST", "/api/scheduledtasks", 502),
        ("POST", "/api/scheduledtasks/search", 200),
        ("GET", "/api/computers/1", 200),
        ("POST", "/api/scheduledtasks", 200),
        ("DELETE", "/api/scheduledtasks/1", 404),
    ]
    assert (await sandbox.computer(1))["_sandbox"]["scans"] == {"scan-for-integrity-changes": 1}


async def test_a_failed_lookup_is_retried_before_the_create_is_sent_again(
    sandbox: Any, make_client: MakeClient
) -> None:
    await sandbox.faults(fail_next=2, error_status=503)
    await start_scan(make_client(), "malware", 2)
    assert await scan_calls(sandbox) == [
        ("POST", "/api/scheduledtasks", 503),
        ("POST", "/api/scheduledtasks/search", 503),
        ("POST", "/api/scheduledtasks/search", 200),
        ("GET", "/api/computers/2", 200),
        ("POST", "/api/scheduledtasks", 200),
        ("DELETE", "/api/scheduledtasks/1", 404),
    ]


async def scan_calls(sandbox: Any) -> list[tuple[str, str, int]]:
    return [(c["method"], c["path"], c["status"]) for c in await sandbox.calls()]


async def start_scan(client: Any, kind: str, computer_id: int) -> None:
    """A scan of a never-scanned computer, its scan date known (the read before the create is not faulted)."""
    await client._scans.start(kind, computer_id, last_scan=None)
    await client.flush_task_cleanup(5.0)


async def test_a_429_holds_every_call_and_shows_as_paused(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(throttle_next=1, retry_after_seconds=3)
    client = make_client()
    first = asyncio.create_task(client.get_computer(1))
    async with asyncio.timeout(30):
        while True:
            if client.paused:
                break
            await asyncio.sleep(0.01)
    assert 0 < client.throttled_for <= 3
    assert not client.circuit_open, "throttling is not an outage"
    second = asyncio.create_task(client.get_computer(2))
    await asyncio.sleep(0.5)
    assert client.paused and len(await sandbox.calls()) == 1, "the other call waits too"
    assert [c.id for c in await asyncio.gather(first, second)] == [1, 2]
    assert not client.paused


async def test_check_does_not_retry(sandbox: Any, make_client: MakeClient) -> None:
    await sandbox.faults(fail_next=1, error_status=500)
    with pytest.raises(ServerError):
        await make_client().check()
    assert len(await sandbox.calls()) == 1
