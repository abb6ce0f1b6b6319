"""The Docker path: the same services from ``docker-compose.yml`` when a Docker engine answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from devstack.errors import StackError

SERVICES = ("localstack", "moto", "ws-sandbox")
MARKER = "docker.started"


def available(root: Path) -> bool:
    """True when ``WSBRIDGE_STACK_MODE`` allows it, a compose file exists and ``docker info`` succeeds."""
    mode = os.environ.get("WSBRIDGE_STACK_MODE", "auto")
    if mode == "host" or not (root / "docker-compose.yml").is_file() or shutil.which("docker") is None:
        if mode == "docker":
            raise StackError("WSBRIDGE_STACK_MODE=docker, but docker or docker-compose.yml is missing")
        return False
    answers = subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0
    if mode == "docker" and not answers:
        raise StackError("WSBRIDGE_STACK_MODE=docker, but `docker info` fails")
    return answers


def _compose(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "compose", *args], cwd=root, text=True, capture_output=True, check=False)


def running(root: Path) -> set[str]:
    """The stack's compose services that are running now."""
    result = _compose(root, "ps", "--services", "--status", "running")
    return set(result.stdout.split()) & set(SERVICES)


def up(root: Path, state_dir: Path) -> bool:
    """``docker compose up -d --wait`` the services; True when this call started any of them."""
    before = running(root)
    result = _compose(root, "up", "-d", "--wait", *SERVICES)
    if result.returncode != 0:
        raise StackError(f"docker compose up failed:\n{result.stdout}{result.stderr}")
    started = before != set(SERVICES)
    if started:
        (state_dir / MARKER).write_text(" ".join(sorted(set(SERVICES) - before)) + "\n")
    return started


def down(root: Path, state_dir: Path) -> bool:
    """``docker compose down`` when an earlier :func:`up` started the services; True when it did."""
    marker = state_dir / MARKER
    if not marker.exists():
        return False
    result = _compose(root, "down")
    if result.returncode != 0:
        raise StackError(f"docker compose down failed:\n{result.stdout}{result.stderr}")
    marker.unlink()
    return True
