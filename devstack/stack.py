"""Bring the stack up or down: host processes (or Docker), health waits, bootstrap, ``.stack/env``."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from devstack import docker, emulators, env, processes
from devstack.bootstrap import bootstrap, summary
from devstack.emulators import EMULATORS, Emulator
from devstack.errors import StackError
from devstack.settings import StackSettings

DOCKER = "docker"


@dataclass(frozen=True, slots=True)
class UpResult:
    """The environment pointing at the stack, and what this call started."""

    environment: dict[str, str]
    started: tuple[str, ...]


def say(message: str) -> None:
    """One progress line on stdout (dropped when stdout is gone, e.g. a closed terminal)."""
    show(f"devstack: {message}")


def show(text: str) -> None:
    """``text`` on stdout in one write (dropped when stdout is gone, e.g. a closed terminal)."""
    with contextlib.suppress(OSError, ValueError):
        print(text, flush=True)


@contextmanager
def locked(settings: StackSettings) -> Iterator[None]:
    """Serialize ``up`` and ``down`` of one checkout's stack."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with (settings.state_dir / "stack.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def up(settings: StackSettings, started: list[str]) -> UpResult:
    """Start what is not running, bootstrap, write ``.stack/env``.

    Names of the components started are appended to ``started`` as they start, so that a caller can
    stop them even when a later step fails.
    """
    began = time.monotonic()
    with locked(settings):
        if docker.available(settings.root):
            say("starting the docker compose services")
            if docker.up(settings.root, settings.state_dir):
                started.append(DOCKER)
        else:
            _up_host(settings, started)
        os.environ.update(env.endpoints(settings))
        try:
            result = bootstrap(settings.sandbox_url)
        except (OSError, ValueError, BotoCoreError, ClientError) as error:
            raise StackError(f"bootstrap failed: {error}") from error
        values = env.stack_environment(settings, result)
        env.write(settings.env_file, values)
    print(summary(result), flush=True)
    say(f"stack ready in {time.monotonic() - began:.1f} s; environment in {settings.env_file}")
    return UpResult(values, tuple(started))


def _up_host(settings: StackSettings, started: list[str]) -> None:
    waiting: list[tuple[Emulator, processes.Managed, float]] = []
    for emulator in EMULATORS:
        managed = processes.read(settings.state_dir, emulator.name)
        if processes.http_ok(emulator.health_url(settings)):
            owner = f"pid {managed.pid}" if managed else "not started by devstack"
            say(f"{emulator.name:<10} already running ({owner}) at {emulator.url(settings)}")
            continue
        if managed is None:
            if processes.port_in_use(emulator.url(settings)):
                raise StackError(
                    f"{emulator.url(settings)} is taken by a program that is not {emulator.name}; stop it "
                    f"or choose another port (WSBRIDGE_STACK_{emulator.name.upper()}_PORT)"
                )
            command = emulator.command(settings)
            environment = {**emulators.base_environment(), **emulator.environment(settings)}
            managed = processes.start(settings.state_dir, emulator.name, command, environment, settings.root)
            started.append(emulator.name)
        waiting.append((emulator, managed, time.monotonic()))
    with ThreadPoolExecutor(max_workers=max(1, len(waiting))) as pool:
        list(pool.map(lambda item: _wait(settings, *item), waiting))


def _wait(settings: StackSettings, emulator: Emulator, managed: processes.Managed, since: float) -> None:
    processes.wait_healthy(emulator.health_url(settings), managed, emulator.start_timeout, emulator.name)
    say(
        f"{emulator.name:<10} healthy in {time.monotonic() - since:.1f} s at {emulator.url(settings)} "
        f"(pid {managed.pid}, log {managed.log})"
    )


def down(settings: StackSettings, only: list[str] | None = None) -> list[str]:
    """Stop the components devstack started (or only those named in ``only``); return what stopped."""
    began = time.monotonic()
    stopped: list[str] = []
    with locked(settings):
        if (only is None or DOCKER in only) and docker.down(settings.root, settings.state_dir):
            stopped.append(DOCKER)
        running = [
            managed
            for emulator in EMULATORS
            if only is None or emulator.name in only
            if (managed := processes.read(settings.state_dir, emulator.name)) is not None
        ]
        with ThreadPoolExecutor(max_workers=max(1, len(running))) as pool:
            list(pool.map(lambda managed: processes.stop(settings.state_dir, managed), running))
        stopped += [managed.name for managed in running]
    if stopped:
        say(f"stopped {', '.join(stopped)} in {time.monotonic() - began:.1f} s")
    return stopped


def status(settings: StackSettings) -> dict[str, str]:
    """Per component: ``running (pid N)``, ``running (not started by devstack)`` or ``stopped``."""
    states: dict[str, str] = {}
    for emulator in EMULATORS:
        managed = processes.read(settings.state_dir, emulator.name)
        healthy = processes.http_ok(emulator.health_url(settings))
        if managed:
            states[emulator.name] = f"{'running' if healthy else 'starting'} (pid {managed.pid})"
        else:
            states[emulator.name] = "running (not started by devstack)" if healthy else "stopped"
    return states
