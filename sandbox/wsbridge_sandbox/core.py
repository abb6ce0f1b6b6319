"""The running sandbox: its world, the keys it accepts, fault knobs, the call log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from wsbridge_sandbox.calls import CallLog
from wsbridge_sandbox.faults import FaultDice, Faults, RateWindow
from wsbridge_sandbox.seeding import normalize_seed
from wsbridge_sandbox.state import World
from wsbridge_sandbox.tasks import TaskRunner

DEFAULT_API_KEY = "sandbox-key"
DEFAULT_AUDITOR_KEY = "sandbox-auditor-key"


def default_seed() -> dict[str, Any]:
    """The packaged seed (``wsbridge_sandbox/seed/default.json``)."""
    text = resources.files("wsbridge_sandbox").joinpath("seed/default.json").read_text(encoding="utf-8")
    seed: dict[str, Any] = json.loads(text)
    return seed


def read_seed(path: Path | None) -> dict[str, Any]:
    """A seed file, or the packaged default."""
    if path is None:
        return default_seed()
    seed: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return seed


@dataclass(frozen=True, slots=True)
class Keys:
    """API keys: ``full`` may do everything, ``auditor`` may only read (writes get 403)."""

    full: str = DEFAULT_API_KEY
    auditor: str = DEFAULT_AUDITOR_KEY

    def role(self, key: str | None) -> str | None:
        """``"full"``, ``"auditor"`` or ``None`` for an unknown key."""
        if key == self.full:
            return "full"
        if key == self.auditor:
            return "auditor"
        return None


class Sandbox:
    """State shared by the API and admin routes."""

    def __init__(self, seed: dict[str, Any], keys: Keys, *, rate_limit_per_minute: int | None = 500) -> None:
        normalize_seed(seed)
        self.keys = keys
        self.seed = seed
        self.default_faults = Faults(rate_limit_per_minute=rate_limit_per_minute)
        self.calls = CallLog()
        self.rates = RateWindow()
        self.dice = FaultDice()
        self.faults = self.default_faults
        self.world = World()
        self.tasks = TaskRunner(self.world, lambda: self.faults)
        self.reset()

    def reset(self) -> None:
        """Back to the current seed: objects, faults, rate counts and the call log."""
        world = World()
        world.load(self.seed)
        self.world = world
        self.tasks = TaskRunner(world, lambda: self.faults)
        self.faults = self.default_faults.model_copy(deep=True)
        self.dice.reseed(None)
        self.rates.clear()
        self.calls.clear()

    def reseed(self, seed: dict[str, Any]) -> None:
        """Load ``seed``: the sections it names replace the current ones, tasks are dropped, faults and
        the call log stay. The result is what :meth:`reset` restores from then on."""
        combined: dict[str, Any] = {**normalize_seed(self.seed), **normalize_seed(seed)}
        world = World()
        world.load(combined)
        self.seed = combined
        self.world = world
        self.tasks = TaskRunner(world, lambda: self.faults)

    def set_faults(self, changes: dict[str, Any]) -> Faults:
        """Apply fault changes (validated); a new ``random_seed`` restarts the dice."""
        self.faults = self.faults.updated(changes)
        if "random_seed" in changes:
            self.dice.reseed(self.faults.random_seed)
        return self.faults


SANDBOX = web.AppKey("sandbox", Sandbox)
