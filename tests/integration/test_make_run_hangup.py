"""`make run` cleans up when its terminal goes away (SIGHUP) as it does on Ctrl-C.

A hangup reaches the terminal's foreground process group: make and the devstack process under it
(make itself only waits for its children). The emulators and the daemon run in their own sessions, so
only devstack's cleanup stops them.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
from support.processes import wait_for
from support.stack_run import processes_of, read_until, start_run

READY = b"sample findings through EventBridge"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_a_hangup_of_make_run_leaves_nothing_running(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    make = start_run(["make", "--no-print-directory", "run"], stack_dir)
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
