"""Background processes of the stack: start detached with a log and a pid file, check, stop.

A pid file holds the pid and the process start time (from ``/proc``), so a recycled pid is never
mistaken for ours. Each process leads its own session, so a Ctrl-C in the terminal does not reach it
and stopping it signals its whole process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import StackError


@dataclass(frozen=True, slots=True)
class Managed:
    """A process started by the stack, as recorded in its pid file."""

    name: str
    pid: int
    started: str
    log: Path

    def alive(self) -> bool:
        """True while the recorded process (not a later one with a recycled pid) runs."""
        return _start_time(self.pid) == self.started


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]


def pid_file(state_dir: Path, name: str) -> Path:
    """Path of the pid file of component ``name``."""
    return state_dir / f"{name}.pid"


def read(state_dir: Path, name: str) -> Managed | None:
    """The running process recorded for ``name``, or None (a stale pid file is removed)."""
    path = pid_file(state_dir, name)
    try:
        record = json.loads(path.read_text())
        managed = Managed(name, int(record["pid"]), str(record["started"]), Path(record["log"]))
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if managed.alive():
        return managed
    path.unlink(missing_ok=True)
    return None


def start(state_dir: Path, name: str, command: Sequence[str], env: Mapping[str, str], cwd: Path) -> Managed:
    """Start ``command`` detached, output to ``<state_dir>/<name>.log``, and write its pid file."""
    log = state_dir / f"{name}.log"
    with log.open("ab") as stream:
        stream.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} $ {' '.join(command)}\n".encode())
        stream.flush()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    managed = Managed(name, process.pid, _start_time(process.pid) or "", log)
    record = {"pid": managed.pid, "started": managed.started, "log": str(log), "command": list(command)}
    pid_file(state_dir, name).write_text(json.dumps(record) + "\n")
    return managed


def stop(state_dir: Path, managed: Managed, grace_seconds: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace_seconds``, then remove the pid file."""
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        if not managed.alive():
            break
        _signal_group(managed.pid, sig)
        deadline = time.monotonic() + wait
        while managed.alive() and time.monotonic() < deadline:
            _reap(managed.pid)
            time.sleep(0.1)
    _reap(managed.pid)
    if managed.alive():
        raise StackError(f"{managed.name} (pid {managed.pid}) did not stop, even after SIGKILL")
    pid_file(state_dir, managed.name).unlink(missing_ok=True)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def port_in_use(url: str) -> bool:
    """True when something accepts TCP connections on the host and port of ``url``."""
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1.0):
            return True
    except OSError:
        return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers a GET with a 2xx status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return 200 <= status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(url: str, managed: Managed | None, timeout: float, what: str) -> float:
    """Poll ``url`` until it answers; return the seconds waited. Fail early if ``managed`` dies."""
    started = time.monotonic()
    while not http_ok(url):
        if managed is not None and not managed.alive():
            _reap(managed.pid)
            raise StackError(f"{what} exited during start-up; see {managed.log}\n{tail(managed.log)}")
        if time.monotonic() - started > timeout:
            where = f"; see {managed.log}" if managed else ""
            raise StackError(f"{what} did not answer {url} within {timeout:.0f} s{where}")
        time.sleep(0.2)
    return time.monotonic() - started


def tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file, indented, for error messages."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join(f"    {line}" for line in text)
