"""The three services of the stack (LocalStack, moto, WS sandbox) and how each starts as a host process."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from devstack import venvs
from devstack.errors import StackError
from devstack.settings import ROOT, SANDBOX_API_KEY, StackSettings

LOCALSTACK = venvs.VenvSpec(
    name="localstack",
    requirements=("localstack-core[runtime]==2026.3.0", "service-identity"),
    constraints=ROOT / "devstack" / "requirements" / "localstack-constraints.txt",
)
MOTO = venvs.VenvSpec(
    name="moto",
    requirements=("moto[server]==5.2.5",),
    constraints=ROOT / "devstack" / "requirements" / "moto-constraints.txt",
)


@dataclass(frozen=True, slots=True)
class Emulator:
    """One service: how to tell it is up, and how to start it as a host process."""

    name: str
    health_path: str
    start_timeout: float
    url: Callable[[StackSettings], str]
    command: Callable[[StackSettings], list[str]]
    environment: Callable[[StackSettings], dict[str, str]]

    def health_url(self, settings: StackSettings) -> str:
        """The URL that answers 2xx once the service is ready."""
        return self.url(settings) + self.health_path


def _localstack_command(settings: StackSettings) -> list[str]:
    venv = venvs.ensure_venv(LOCALSTACK, settings.cache_dir, settings.state_dir / "install-localstack.log")
    return [venvs.python_in(venv), "-m", "localstack.runtime.main"]


def _localstack_env(settings: StackSettings) -> dict[str, str]:
    filesystem = settings.state_dir / "localstack"
    filesystem.mkdir(parents=True, exist_ok=True)
    return {
        "GATEWAY_LISTEN": f"127.0.0.1:{settings.localstack_port}",
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(filesystem),
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
        "SQS_DISABLE_CLOUDWATCH_METRICS": "1",
        "SQS_ENDPOINT_STRATEGY": "dynamic",
    }


def _moto_command(settings: StackSettings) -> list[str]:
    venv = venvs.ensure_venv(MOTO, settings.cache_dir, settings.state_dir / "install-moto.log")
    server = str(ROOT / "devstack" / "moto_server.py")
    return [venvs.python_in(venv), "-I", server, "-H", "127.0.0.1", "-p", str(settings.moto_port)]


def _sandbox_command(settings: StackSettings) -> list[str]:
    override = os.environ.get("WSBRIDGE_STACK_SANDBOX_COMMAND")
    script = settings.venv_bin / "wsbridge-sandbox"
    if not override and not script.exists():
        raise StackError(f"{script} is missing: install the project first (make venv)")
    command = shlex.split(override) if override else [str(script)]
    return [*command, "--host", "127.0.0.1", "--port", str(settings.sandbox_port), "--api-key", SANDBOX_API_KEY]


def _no_env(settings: StackSettings) -> dict[str, str]:
    return {}


EMULATORS: tuple[Emulator, ...] = (
    Emulator(
        "localstack",
        "/_localstack/health",
        60.0,
        lambda s: s.localstack_url,
        _localstack_command,
        _localstack_env,
    ),
    Emulator("moto", "/moto-api/config", 30.0, lambda s: s.moto_url, _moto_command, _no_env),
    Emulator("sandbox", "/_sandbox/state", 30.0, lambda s: s.sandbox_url, _sandbox_command, _no_env),
)


def base_environment() -> dict[str, str]:
    """The caller's environment without variables that would point the emulators at each other."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_ENDPOINT_URL", "LOCALSTACK_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
