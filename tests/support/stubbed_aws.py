"""AWS clients for Inspector Classic and Security Hub, which no emulator here serves: botocore's Stubber."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiobotocore.session import get_session
from aiobotocore.stub import AioStubber


@dataclass
class StubbedAws:
    """``AwsClients`` with one stubbed client, for ``service`` only."""

    service: str
    stubbed: Any

    async def client(self, service: str, **_: Any) -> Any:
        assert service == self.service
        return self.stubbed


@contextlib.asynccontextmanager
async def stubbed_client(service: str, region: str) -> AsyncIterator[AioStubber]:
    """A real aiobotocore client of ``service`` whose answers the test queues; all must be used."""
    async with get_session().create_client(
        service, region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
    ) as client:
        with AioStubber(client) as stubber:
            yield stubber
            stubber.assert_no_pending_responses()
