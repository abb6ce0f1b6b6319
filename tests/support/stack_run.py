"""Running devstack itself (``make run``, ``python -m devstack run``) under test, on its own ports and state folder."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

from devstack.settings import ROOT
from support.processes import free_port


def isolated_env(stack_dir: Path) -> dict[str, str]:
    """This environment, with a stack of its own: state in ``stack_dir``, free ports for every component."""
    return {
        **os.environ,
        "WSBRIDGE_STACK_DIR": str(stack_dir),
        "WSBRIDGE_STACK_LOCALSTACK_PORT": str(free_port()),
        "WSBRIDGE_STACK_MOTO_PORT": str(free_port()),
        "WSBRIDGE_STACK_SANDBOX_PORT": str(free_port()),
        "WSBRIDGE_METRICS_PORT": str(free_port()),
    }


def start_run(command: list[str], stack_dir: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """``command`` (``make run`` or ``python -m devstack run``) from the checkout, in a session of its own,
    with a stack of its own in ``stack_dir``, output on a pipe."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=isolated_env(stack_dir),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        **popen,
    )


def processes_of(stack_dir: Path) -> list[int]:
    """Every live process whose environment names ``stack_dir`` (make, devstack, emulators, sandbox, daemon)."""
    marker = f"WSBRIDGE_STACK_DIR={stack_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def read_until(process: subprocess.Popen[bytes], text: bytes, timeout: float, seen: bytes = b"") -> bytes:
    """``seen`` and what ``process`` writes after it, up to and including ``text``; fails after ``timeout`` s."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while text not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise AssertionError(f"no {text!r} in the output: {seen[-3000:].decode(errors='replace')}")
        ready, _, _ = select.select([process.stdout], [], [], min(remaining, 1.0))
        if ready:
            seen += os.read(process.stdout.fileno(), 65536)
    return seen
