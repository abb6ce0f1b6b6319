"""The unit tier starts no process and connects nowhere but this machine: a test that tries fails.

An audit hook (installed once, active only while a test under ``tests/unit`` sets up, runs or tears
down) refuses subprocesses and connections to addresses other than loopback.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator
from typing import Any

import pytest

_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork", "os.spawn"})
_guard = {"active": False}


class UnitTierViolation(RuntimeError):
    """A unit test started a process or connected off this machine."""


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _guard["active"]:
        return
    if event in _PROCESS_EVENTS:
        raise UnitTierViolation(f"unit tests start no process ({event}); move the test to tests/integration")
    if event == "socket.connect" and not _loopback(args[1]):
        raise UnitTierViolation(f"unit tests connect nowhere but loopback (not {args[1]!r})")


sys.addaudithook(_audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded())


def _guarded() -> Iterator[None]:
    _guard["active"] = True
    try:
        return (yield)
    finally:
        _guard["active"] = False
