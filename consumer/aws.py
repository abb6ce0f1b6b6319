"""aiobotocore clients per (account, region). Endpoints come only from botocore's ``AWS_ENDPOINT_URL*`` variables.

A handler reads AWS in the finding's own account and region::

    ec2 = await context.services.aws_clients().client("ec2", account=targets.account, region=targets.region)

The daemon's own account (STS GetCallerIdentity, asked once) uses the task credentials; any other
account is reached through the member role (:mod:`wsbridge.consumer.aws_roles`), and a role that is
missing or refused raises :class:`~wsbridge.consumer.aws_roles.AssumeRoleFailed`.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioDeferredRefreshableCredentials
from aiobotocore.session import AioSession, get_session

from wsbridge.consumer.aws_roles import Clock, member_credentials, not_configured
from wsbridge.consumer.settings import Settings


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the daemon's own credentials are."""

    account: str
    arn: str

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn``, ``aws-us-gov``: the partition of the daemon's account."""
        return self.arn.split(":")[1]


class _RoleSession(AioSession):
    """A session whose every client signs with one account's member-role credentials."""

    def __init__(self, credentials: AioDeferredRefreshableCredentials) -> None:
        super().__init__()
        self._role_credentials = credentials

    async def get_credentials(self) -> Any:  # type: ignore[override]
        return self._role_credentials


class AwsClients:
    """Clients created on first use, one per (service, account, region), and closed together."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        """Size the connection pool for every worker plus the receive loops; ``clock`` is for tests."""
        self._session = get_session()
        self._config = AioConfig(
            max_pool_connections=settings.concurrency + settings.poll_loops + 8,
            connect_timeout=5,
            read_timeout=settings.wait_time_seconds + 15,
            retries={"mode": "standard", "max_attempts": 4},
            parameter_validation=False,
        )
        self._role_name = settings.aws_role_name
        self._external_id = settings.aws_external_id
        self._clock = clock
        self._stack = AsyncExitStack()
        self._clients: dict[tuple[str, str | None, str | None], Any] = {}
        self._sessions: dict[str, _RoleSession] = {}
        self._identity: Identity | None = None
        self._lock = asyncio.Lock()
        self._identity_lock = asyncio.Lock()
        self._account_locks: dict[str, asyncio.Lock] = {}

    async def client(self, service: str, *, account: str | None = None, region: str | None = None) -> Any:
        """The client for ``service`` (e.g. ``"ec2"``) in ``account`` and ``region``.

        ``account`` ``None`` or the daemon's own account uses the task credentials; ``region`` ``None``
        is the daemon's region. Raises ``AssumeRoleFailed`` when another account's role cannot be assumed.
        """
        if account is not None and account == (await self.identity()).account:
            account = None
        key = (service, account, region or self._session.get_config_variable("region"))
        existing = self._clients.get(key)
        if existing is not None:
            return existing
        session = self._session if account is None else await self._member_session(account)
        async with self._lock:
            existing = self._clients.get(key)
            if existing is None:
                created = session.create_client(service, region_name=key[2], config=self._config)  # type: ignore[call-overload]
                existing = await self._stack.enter_async_context(created)
                self._clients[key] = existing
        return existing

    @property
    def region(self) -> str:
        """The daemon's own region (``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's)."""
        return str(self._session.get_config_variable("region"))

    async def identity(self) -> Identity:
        """The daemon's own account and ARN (STS GetCallerIdentity, asked once)."""
        if self._identity is None:
            async with self._identity_lock:
                if self._identity is None:
                    answer = await (await self.client("sts")).get_caller_identity()
                    self._identity = Identity(str(answer["Account"]), str(answer["Arn"]))
        return self._identity

    async def own_account(self) -> str:
        """The daemon's own account id."""
        return (await self.identity()).account

    async def _member_session(self, account: str) -> _RoleSession:
        session = self._sessions.get(account)
        if session is not None:
            return session
        if not self._role_name:
            raise not_configured(account)
        async with self._account_locks.setdefault(account, asyncio.Lock()):
            session = self._sessions.get(account)
            if session is None:
                session = await self._assume(account, self._role_name)
                self._sessions[account] = session
        return session

    async def _assume(self, account: str, role_name: str) -> _RoleSession:
        credentials = member_credentials(
            lambda: self.client("sts"),
            partition=(await self.identity()).partition,
            account=account,
            role_name=role_name,
            external_id=self._external_id,
            clock=self._clock,
        )
        await credentials.get_frozen_credentials()
        return _RoleSession(credentials)

    async def close(self) -> None:
        """Close every client."""
        self._clients.clear()
        self._sessions.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> AwsClients:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()
