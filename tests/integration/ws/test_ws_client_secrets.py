"""The API key never shows up in logs, reprs or errors, whatever goes wrong."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from wsbridge.consumer.settings import AuthScheme
from wsbridge.consumer.workload_security import WorkloadSecurityClient, WorkloadSecurityError

MakeClient = Callable[..., WorkloadSecurityClient]


def everything_about(error: BaseException) -> str:
    """str, repr and attributes of an error and of every error chained to it."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), repr(vars(seen)), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("scheme", [AuthScheme.APIKEY, AuthScheme.API_SECRET_KEY])
async def test_the_key_is_not_in_logs_reprs_or_errors(
    sandbox: Any, make_client: MakeClient, caplog: pytest.LogCaptureFixture, scheme: AuthScheme
) -> None:
    caplog.set_level(logging.DEBUG)
    good, bad = "sandbox-key", "wrong-key-7f3c91d2"
    errors: list[WorkloadSecurityError] = []
    with capture_logs() as logs:
        structlog.get_logger().info("marker")
        client = make_client(api_key=good, auth_scheme=scheme, max_attempts=2, breaker_failures=2)
        await sandbox.faults(fail_next=1, error_status=500)
        await client.get_computer(1)
        await sandbox.faults(latency_ms=300)
        with pytest.raises(WorkloadSecurityError) as timed_out:
            await make_client(api_key=good, auth_scheme=scheme, timeout_seconds=0.1, max_attempts=2).get_policy(1)
        errors.append(timed_out.value)
        await sandbox.faults(latency_ms=0, down=True)
        for _ in range(3):
            with pytest.raises(WorkloadSecurityError) as down:
                await client.get_computer(1)
            errors.append(down.value)
        await sandbox.faults(down=False)
        wrong = make_client(api_key=bad, auth_scheme=scheme)
        with pytest.raises(WorkloadSecurityError) as refused:
            await wrong.check()
        errors.append(refused.value)
    assert logs[0]["event"] == "marker"
    assert any(entry["event"] == "ws_retry" for entry in logs), "the failures were logged"
    assert any(entry["event"] == "ws_circuit_opened" for entry in logs)
    texts = [repr(logs), caplog.text, repr(client), str(client), repr(wrong), str(wrong)]
    texts += [everything_about(error) for error in errors]
    for key in (good, bad):
        assert not [text for text in texts if key in text]
    assert {type(error).__name__ for error in errors} >= {
        "RequestTimeoutError",
        "ServerError",
        "CircuitOpenError",
        "AuthError",
    }


class RotatingSecret:
    """A key source whose secret has been rotated to the sandbox's key; counts its reads."""

    def __init__(self, value: str = "sandbox-key") -> None:
        self.value = value
        self.reads = 0

    async def __call__(self) -> str:
        self.reads += 1
        return self.value


async def test_a_401_reads_the_rotated_key_again_and_the_call_succeeds(sandbox: Any) -> None:
    secret = RotatingSecret()
    client = WorkloadSecurityClient(sandbox.api_url, "retired-key-0b1c", key_source=secret)
    try:
        computer = await client.get_computer(1)
        await client.get_computer(1)
    finally:
        await client.close()

    assert computer.id == 1
    assert secret.reads == 1, "one read after the 401, none while the key works"


async def test_a_key_that_stays_refused_is_an_auth_error_after_one_read(sandbox: Any) -> None:
    secret = RotatingSecret("still-wrong-9d2e")
    client = WorkloadSecurityClient(sandbox.api_url, "retired-key-0b1c", key_source=secret)
    try:
        with pytest.raises(WorkloadSecurityError) as refused:
            await client.check()
    finally:
        await client.close()

    assert refused.value.status == 401
    assert secret.reads == 1


async def test_the_key_is_read_again_on_a_timer(sandbox: Any, make_client: MakeClient) -> None:
    from wsbridge.consumer.workload_security import ClientOptions

    secret = RotatingSecret()
    client = WorkloadSecurityClient(
        sandbox.api_url, "sandbox-key", ClientOptions(api_key_refresh_seconds=0.05), key_source=secret
    )
    try:
        await client.check()
        await asyncio.sleep(0.06)
        await client.check()
    finally:
        await client.close()

    assert secret.reads == 1
