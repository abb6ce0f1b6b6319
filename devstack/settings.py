"""Where the local stack lives: checkout paths, ports and URLs, all overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
QUEUE_NAME = "wsbridge-findings"
DLQ_NAME = "wsbridge-findings-dlq"
RULE_NAME = "wsbridge-security-findings"
STATE_TABLE = "wsbridge-state"
PATTERN_FILE = ROOT / "config" / "eventbridge-pattern.json"
SAMPLES_FILE = ROOT / "config" / "samples.json"
EVENTS_DIR = ROOT / "tests" / "fixtures" / "events"
DEMO_INSTANCE_NAMES = ("demo-web-1", "demo-web-2", "demo-db-1", "demo-legacy-1")
DEMO_APP_ROLE = "wsbridge-demo-app"
DEMO_APP_INSTANCES = ("demo-web-1", "demo-web-2", "demo-legacy-1")
"""Demo instances that carry the demo role's instance profile."""
DEMO_BUCKET = "wsbridge-demo-data"
SANDBOX_API_KEY = "sandbox-key"
MOTO_SERVICES = (
    "DYNAMODB",
    "CLOUDFRONT",
    "ELASTIC_LOAD_BALANCING_V2",
    "ELASTIC_LOAD_BALANCING",
    "WAFV2",
    "SECURITYHUB",
    "EC2",
    "IAM",
    "STS",
    "S3",
)
"""Services sent to moto: what LocalStack community lacks, and EC2/IAM/STS/S3 together, because only moto
keeps instance profiles on instances and scopes assumed roles to accounts."""


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True, slots=True)
class StackSettings:
    """Ports, directories and commands of one local stack; see :func:`load`."""

    root: Path
    state_dir: Path
    cache_dir: Path
    localstack_port: int
    moto_port: int
    sandbox_port: int
    metrics_port: int

    @property
    def localstack_url(self) -> str:
        """Base URL of LocalStack's gateway."""
        return f"http://127.0.0.1:{self.localstack_port}"

    @property
    def moto_url(self) -> str:
        """Base URL of the moto server."""
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def sandbox_url(self) -> str:
        """Base URL of the WS sandbox (its API lives under ``/api``)."""
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def env_file(self) -> Path:
        """The ``export NAME=value`` file that points a shell at the stack."""
        return self.state_dir / "env"

    @property
    def venv_bin(self) -> Path:
        """The project virtualenv's ``bin`` directory."""
        return self.root / ".venv" / "bin"


def load() -> StackSettings:
    """Read the stack settings from the environment (``WSBRIDGE_STACK_*``, ``XDG_CACHE_HOME``)."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return StackSettings(
        root=ROOT,
        state_dir=Path(os.environ.get("WSBRIDGE_STACK_DIR", ROOT / ".stack")),
        cache_dir=Path(os.environ.get("WSBRIDGE_STACK_CACHE", cache_home / "wsbridge")),
        localstack_port=_port("WSBRIDGE_STACK_LOCALSTACK_PORT", 4577),
        moto_port=_port("WSBRIDGE_STACK_MOTO_PORT", 5055),
        sandbox_port=_port("WSBRIDGE_STACK_SANDBOX_PORT", 4580),
        metrics_port=_port("WSBRIDGE_METRICS_PORT", 9102),
    )
