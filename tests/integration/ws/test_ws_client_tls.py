"""TLS: verified by default, a private CA can be trusted, verification off only when asked."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from wsbridge_sandbox.app import create_app
from wsbridge_sandbox.core import Keys, Sandbox, default_seed

from wsbridge.consumer.workload_security import ClientOptions, ServerError, WorkloadSecurityClient


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "manager.pem", folder / "manager.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=dsm.local",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest_asyncio.fixture
async def https_manager(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """The sandbox app behind TLS with a self-signed certificate, as a self-hosted manager would be."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    runner = web.AppRunner(create_app(Sandbox(default_seed(), Keys(), rate_limit_per_minute=None)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"https://{host}:{port}/api"
    await runner.cleanup()


async def test_a_self_signed_manager_is_refused_by_default(https_manager: str) -> None:
    async with WorkloadSecurityClient(https_manager, "sandbox-key", ClientOptions(max_attempts=1)) as client:
        with pytest.raises(ServerError) as raised:
            await client.check()
    assert "certificate" in raised.value.message.lower()


async def test_its_ca_can_be_trusted_with_verification_on(https_manager: str, certificate: tuple[Path, Path]) -> None:
    options = ClientOptions(ca_file=certificate[0])
    async with WorkloadSecurityClient(https_manager, "sandbox-key", options) as client:
        await client.check()
        assert (await client.get_computer(1)).host_name == "demo-web-1"


async def test_verification_can_be_turned_off_explicitly(https_manager: str) -> None:
    async with WorkloadSecurityClient(https_manager, "sandbox-key", ClientOptions(verify_tls=False)) as client:
        await client.check()
