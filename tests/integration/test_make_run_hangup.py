"""`make run` cleans up when its terminal goes away (SIGHUP) as it does on Ctrl-C.

A hangup reaches the terminal's foreground process group: make and the devstack process under it
(make itself only waits for its children). The emulators and the daemon run in their own sessions, so
only devstack's cleanup stops them.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.daemon import free_port, wait_for

from devstack.settings import ROOT

READY = b"sample findings through EventBridge"


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


def read_until(process: subprocess.Popen[bytes], text: bytes, timeout: float) -> bytes:
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise AssertionError(f"`make run` did not get ready: {seen[-3000:].decode(errors='replace')}")
        ready, _, _ = select.select([process.stdout], [], [], min(remaining, 1.0))
        if ready:
            seen += os.read(process.stdout.fileno(), 65536)
    return seen


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_a_hangup_of_make_run_leaves_nothing_running(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    env = {
        **os.environ,
        "WSBRIDGE_STACK_DIR": str(stack_dir),
        "WSBRIDGE_STACK_LOCALSTACK_PORT": str(free_port()),
        "WSBRIDGE_STACK_MOTO_PORT": str(free_port()),
        "WSBRIDGE_STACK_SANDBOX_PORT": str(free_port()),
        "WSBRIDGE_METRICS_PORT": str(free_port()),
    }
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        read_until(make, READY, timeout=300)
        assert len(processes_of(stack_dir)) >= 5, "make, devstack, LocalStack, moto, the sandbox and the daemon run"

        os.killpg(make.pid, signal.SIGHUP)
        assert make.stdout is not None
        make.stdout.close()

        make.wait(timeout=60)
        wait_for(lambda: not processes_of(stack_dir), 120, what="every stack process to stop")
    finally:
        for pid in processes_of(stack_dir):
            os.kill(pid, signal.SIGKILL)
