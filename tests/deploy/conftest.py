from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from deploy_tools import ROOT, Tools, ensure_tools

from wsbridge.consumer.settings import Settings

TEMPLATE = ROOT / "deploy" / "wsbridge.yaml"
DECODE_TEMPLATE = """
import json, sys
from cfnlint.decode import decode
template, errors = decode(sys.argv[1])
assert not errors, errors
print(json.dumps(template))
"""
LOAD_YAML = """
import json, sys, yaml
print(json.dumps(yaml.safe_load(open(sys.argv[1]))))
"""


def import_from_checkout(name: str) -> ModuleType:
    """Import a checkout module that is not installed (``devstack``)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))
    return importlib.import_module(name)


def setting_names() -> set[str]:
    """Every environment variable the daemon's settings read."""
    return {f"WSBRIDGE_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture
def without_daemon_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``WSBRIDGE_*`` variable of the caller (e.g. the local stack's) leaks into settings built by a test."""
    for name in list(os.environ):
        if name.startswith("WSBRIDGE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def tools() -> Tools:
    return ensure_tools()


@pytest.fixture(scope="session")
def template(tools: Tools) -> dict[str, Any]:
    """deploy/wsbridge.yaml as cfn-lint decodes it (intrinsics as ``{"Ref": ...}``, ``{"Fn::...": ...}``)."""
    decoded = tools.python_json(DECODE_TEMPLATE, str(TEMPLATE))
    assert isinstance(decoded, dict)
    return decoded


@pytest.fixture(scope="session")
def load_yaml(tools: Tools) -> Any:
    def load(path: Path) -> Any:
        return tools.python_json(LOAD_YAML, str(path))

    return load


@pytest.fixture(scope="session")
def compose(tools: Tools) -> dict[str, Any]:
    """docker-compose.yml as docker compose normalizes it (anchors merged, ports and durations parsed)."""
    result = tools.run([*tools.docker_compose, "config", "--format", "json"], env=compose_environment())
    assert result.returncode == 0, result.stderr
    model: dict[str, Any] = json.loads(result.stdout)
    return model


def compose_environment() -> dict[str, str]:
    """The caller's environment without variables that would change how compose reads the file."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("COMPOSE_", "DOCKER_"))}
