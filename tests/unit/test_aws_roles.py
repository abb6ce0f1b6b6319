"""Member-role credentials: when they are renewed, and what a failure to assume the role becomes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from prometheus_client import REGISTRY

from wsbridge.consumer.aws_roles import SESSION_SECONDS, AssumeRoleFailed, member_credentials, not_configured
from wsbridge.consumer.settlement import classify

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "222222222222"


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeSts:
    """Answers AssumeRole like STS: credentials valid for the asked duration from the clock's now."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[dict[str, Any]] = []
        self.refuse = False

    async def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        if self.refuse:
            error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}}
            raise ClientError(error, "AssumeRole")
        number = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{number}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": self.clock.now + timedelta(seconds=params["DurationSeconds"]),
            }
        }


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("wsbridge_aws_assume_role_failures_total", {"reason": reason}) or 0.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sts(clock: FakeClock) -> FakeSts:
    return FakeSts(clock)


def credentials_for(sts: FakeSts, clock: FakeClock, external_id: str | None = "ext-123") -> Any:
    async def factory() -> FakeSts:
        return sts

    return member_credentials(
        factory, partition="aws", account=ACCOUNT, role_name="wsbridge-member", external_id=external_id, clock=clock
    )


def access_key(credentials: Any) -> str:
    return str(asyncio.run(credentials.get_frozen_credentials()).access_key)


def test_the_role_is_assumed_on_first_use_with_the_external_id(sts: FakeSts, clock: FakeClock) -> None:
    credentials = credentials_for(sts, clock)
    assert sts.calls == []
    assert access_key(credentials) == "ASIA1"
    assert sts.calls == [
        {
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/wsbridge-member",
            "RoleSessionName": "wsbridge",
            "DurationSeconds": SESSION_SECONDS,
            "ExternalId": "ext-123",
        }
    ]


def test_no_external_id_is_sent_when_none_is_configured(sts: FakeSts, clock: FakeClock) -> None:
    access_key(credentials_for(sts, clock, external_id=None))
    assert "ExternalId" not in sts.calls[0]


def test_credentials_are_reused_until_fifteen_minutes_before_they_expire_then_renewed(
    sts: FakeSts, clock: FakeClock
) -> None:
    credentials = credentials_for(sts, clock)
    assert access_key(credentials) == "ASIA1"
    clock.advance(seconds=SESSION_SECONDS - 15 * 60 - 1)
    assert access_key(credentials) == "ASIA1"
    assert len(sts.calls) == 1
    clock.advance(seconds=2)
    assert access_key(credentials) == "ASIA2"
    clock.advance(seconds=60)
    assert access_key(credentials) == "ASIA2"
    assert len(sts.calls) == 2


def test_a_failed_early_renewal_keeps_the_valid_credentials_but_a_late_one_raises(
    sts: FakeSts, clock: FakeClock
) -> None:
    credentials = credentials_for(sts, clock)
    access_key(credentials)
    sts.refuse = True
    clock.advance(seconds=SESSION_SECONDS - 12 * 60)
    assert access_key(credentials) == "ASIA1"
    clock.advance(seconds=3 * 60)
    with pytest.raises(AssumeRoleFailed):
        access_key(credentials)


def test_a_refused_role_is_a_counted_error_naming_account_and_role(sts: FakeSts, clock: FakeClock) -> None:
    sts.refuse = True
    before = failures("refused")
    with pytest.raises(AssumeRoleFailed) as raised:
        access_key(credentials_for(sts, clock))
    assert failures("refused") == before + 1
    assert (raised.value.account, raised.value.role_name, raised.value.reason) == (
        ACCOUNT,
        "wsbridge-member",
        "refused",
    )
    assert "cannot assume role wsbridge-member in account 222222222222" in str(raised.value)
    assert "AccessDenied" in str(raised.value)


def test_assume_role_failures_are_retried_and_their_reason_names_account_and_role() -> None:
    before = failures("not_configured")
    error = not_configured(ACCOUNT)
    assert failures("not_configured") == before + 1
    outcome, reason = classify(error)
    assert outcome == "retry"
    assert "account 222222222222" in reason
    assert "WSBRIDGE_AWS_ROLE_NAME is not set" in reason
