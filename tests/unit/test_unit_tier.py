"""The unit tier stays a unit tier: no process, no connection off this machine, no launcher imported."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import UnitTierViolation

UNIT = Path(__file__).parent
LAUNCHERS = {"subprocess", "support.sandbox", "support.daemon", "support.planning", "support.fixtures", "devstack"}


def test_a_unit_test_that_starts_a_process_fails() -> None:
    with pytest.raises(UnitTierViolation, match="start no process"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_a_unit_test_that_connects_off_this_machine_fails() -> None:
    with socket.socket() as sock, pytest.raises(UnitTierViolation, match="loopback"):
        sock.connect(("192.0.2.1", 9))


@pytest.mark.parametrize("path", sorted(UNIT.rglob("*.py")), ids=lambda path: str(path.relative_to(UNIT)))
def test_no_unit_test_imports_a_process_launcher(path: Path) -> None:
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    allowed = {"subprocess"} if path.name == "test_unit_tier.py" else set()
    assert not (imported & LAUNCHERS) - allowed
