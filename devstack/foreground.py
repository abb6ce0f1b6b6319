"""Processes that run in the foreground of ``test`` and ``run``: the test command and the daemon."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType

from devstack import processes
from devstack.errors import StackError


def interrupt_on_sigterm() -> None:
    """Make SIGTERM and SIGHUP (the terminal went away) raise KeyboardInterrupt, so the same cleanup runs as
    for Ctrl-C; on Linux a SIGHUP also comes when the parent (``make``) dies first."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    _hang_up_with_parent()


def _hang_up_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGHUP), 0, 0, 0)


def exit_code(returncode: int) -> int:
    """A shell-style exit code: 128 + N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run_command(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``command`` with ``env``; on Ctrl-C give it 10 s to finish (it got the SIGINT too), then stop it."""
    try:
        child = subprocess.Popen(list(command), env=dict(env))
    except OSError as error:
        raise StackError(f"cannot run {command[0]}: {error}") from None
    try:
        return exit_code(child.wait())
    except KeyboardInterrupt:
        _stop(child, signal.SIGTERM, 10.0)
        return 130


def _stop(child: subprocess.Popen[bytes], sig: signal.Signals, grace: float) -> None:
    if child.poll() is None:
        child.send_signal(sig)
    try:
        child.wait(timeout=grace)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        child.kill()
        child.wait()


def start_daemon(command: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start the daemon in its own session, its output going to ours."""
    try:
        return subprocess.Popen(list(command), env=dict(env), start_new_session=True)
    except OSError as error:
        raise StackError(f"cannot start the daemon {command[0]}: {error}") from None


def wait_ready(daemon: subprocess.Popen[bytes], base_url: str, timeout: float = 60.0) -> str:
    """Wait until the daemon's ``/readyz`` (or ``/healthz``) answers; return the URL that did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in ("/readyz", "/healthz"):
            if processes.http_ok(base_url + path, timeout=1.0):
                return base_url + path
        if daemon.poll() is not None:
            raise StackError(f"the daemon exited with code {daemon.returncode} before it was ready")
        time.sleep(0.3)
    raise StackError(f"the daemon did not answer {base_url}/readyz within {timeout:.0f} s")


def stop_daemon(daemon: subprocess.Popen[bytes], grace: float = 35.0) -> int:
    """SIGTERM the daemon (it drains in-flight work), SIGKILL it after ``grace``; return its exit code."""
    if daemon.poll() is None:
        with contextlib.suppress(OSError, ValueError):
            print("devstack: stopping the daemon", file=sys.stderr, flush=True)
    _stop(daemon, signal.SIGTERM, grace)
    return exit_code(daemon.returncode)
