"""aiobotocore clients. Endpoints come only from botocore's own ``AWS_ENDPOINT_URL*`` variables."""

from __future__ import annotations

from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from wsbridge.consumer.settings import Settings


class AwsClients:
    """One session, one client per service, created on first use and closed together."""

    def __init__(self, settings: Settings) -> None:
        """Size the connection pool for every worker plus the receive loops."""
        self._session = get_session()
        self._config = AioConfig(
            max_pool_connections=settings.concurrency + settings.poll_loops + 8,
            connect_timeout=5,
            read_timeout=settings.wait_time_seconds + 15,
            retries={"mode": "standard", "max_attempts": 4},
        )
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}

    async def client(self, service: str) -> Any:
        """The client for ``service`` (e.g. ``"sqs"``, ``"ec2"``)."""
        existing = self._clients.get(service)
        if existing is None:
            existing = await self._stack.enter_async_context(
                self._session.create_client(service, config=self._config)  # type: ignore[call-overload]
            )
            self._clients[service] = existing
        return existing

    async def close(self) -> None:
        """Close every client."""
        self._clients.clear()
        await self._stack.aclose()

    async def __aenter__(self) -> AwsClients:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()
