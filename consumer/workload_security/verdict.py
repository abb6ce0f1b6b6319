"""Is a computer protected? The one place that decides it, for every handler.

- managed: an agent is activated (``agentFingerPrint``) and the manager does not list it as unmanaged;
- agent active: ``computerStatus.agentStatus == "active"`` (online, green);
- per module: ``state`` is on and ``moduleStatus.agentStatus`` is ``active``; anti-malware and
  integrity monitoring must be real-time, intrusion prevention must prevent (not only detect);
- clear: the agent is active and no module that is on reports a warning or error;
- protected: managed, agent active, clear, and every required module protected.

Protection is graded (:attr:`ProtectionVerdict.grade`): ``unreachable`` (no activated agent, or the
agent is offline), ``partial`` (managed and online, with gaps), ``full`` (protected). A managed,
online agent runs the scans its modules support (:meth:`ProtectionVerdict.can_scan`) even with gaps.

A module section missing from the computer (not expanded) takes its ``state`` from the policy, when
one is given, but without a status from the agent it does not count as protected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from wsbridge.consumer.workload_security.models import Computer, Policy, SecurityModule

ModuleName = Literal[
    "anti_malware", "intrusion_prevention", "integrity_monitoring", "web_reputation", "firewall", "log_inspection"
]
MODULES: tuple[ModuleName, ...] = (
    "anti_malware",
    "intrusion_prevention",
    "integrity_monitoring",
    "web_reputation",
    "firewall",
    "log_inspection",
)
DEFAULT_REQUIRED: tuple[ModuleName, ...] = ("anti_malware", "intrusion_prevention", "integrity_monitoring")
_LABELS: dict[str, str] = {name: name.replace("_", " ") for name in MODULES}
_OFF_STATES = {None, "", "off", "inherited"}
_ONLINE = ("active", "warning")
Grade = Literal["unreachable", "partial", "full"]
ScanKind = Literal["recommendation", "integrity", "malware"]
_SCAN_MODULES: dict[ScanKind, ModuleName | None] = {
    "recommendation": None,
    "integrity": "integrity_monitoring",
    "malware": "anti_malware",
}


@dataclass(frozen=True, slots=True)
class ModuleVerdict:
    """One module: its configured state, the agent's report, and whether it protects."""

    state: str | None
    status: str | None
    message: str | None
    protected: bool
    reason: str | None = None

    @property
    def running(self) -> bool:
        """On (in any mode) and reported active by the agent: it can run a scan."""
        return self.state not in _OFF_STATES and self.status == "active"


@dataclass(frozen=True, slots=True)
class ProtectionVerdict:
    """The verdict on one computer; ``reasons`` say in words why it is not protected."""

    computer_id: int
    managed: bool
    agent_active: bool
    clear: bool
    modules: dict[str, ModuleVerdict]
    required: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)
    online: bool = False

    @property
    def reachable(self) -> bool:
        """Managed and online (``active`` or ``warning``): the manager can send it work."""
        return self.managed and self.online

    @property
    def grade(self) -> Grade:
        """``full`` when protected, ``partial`` when reachable with gaps, else ``unreachable``."""
        if self.protected:
            return "full"
        return "partial" if self.reachable else "unreachable"

    def can_scan(self, kind: ScanKind) -> bool:
        """Whether a scan of ``kind`` would run: a reachable agent, and the module the scan needs running."""
        module = _SCAN_MODULES[kind]
        return self.reachable and (module is None or self.modules[module].running)

    @property
    def protected(self) -> bool:
        """Managed, active, clear and every required module protected."""
        return (
            self.managed
            and self.agent_active
            and self.clear
            and all(self.modules[name].protected for name in self.required)
        )

    @property
    def anti_malware(self) -> bool:
        """Anti-malware on, real-time, reported active."""
        return self.modules["anti_malware"].protected

    @property
    def intrusion_prevention(self) -> bool:
        """Intrusion prevention in prevent mode, reported active."""
        return self.modules["intrusion_prevention"].protected

    @property
    def intrusion_prevention_mode(self) -> str | None:
        """``prevent``, ``detect``, ``off`` or ``None`` when unknown."""
        return self.modules["intrusion_prevention"].state

    @property
    def integrity_monitoring(self) -> bool:
        """Integrity monitoring on, real-time, reported active."""
        return self.modules["integrity_monitoring"].protected

    @property
    def web_reputation(self) -> bool:
        """Web reputation on and reported active."""
        return self.modules["web_reputation"].protected

    @property
    def firewall(self) -> bool:
        """Firewall on and reported active."""
        return self.modules["firewall"].protected

    @property
    def log_inspection(self) -> bool:
        """Log inspection on and reported active."""
        return self.modules["log_inspection"].protected


def protection_verdict(
    computer: Computer, policy: Policy | None = None, *, required: Sequence[ModuleName] = DEFAULT_REQUIRED
) -> ProtectionVerdict:
    """Judge ``computer`` (its policy fills in module states the computer record lacks)."""
    status = computer.computer_status
    agent_status = status.agent_status if status else None
    messages = status.agent_status_messages if status else []
    reasons: list[str] = []
    managed = bool(computer.agent_finger_print) and not any(m.lower().startswith("unmanaged") for m in messages)
    if not managed:
        reasons.append("no activated agent" + (f" ({'; '.join(messages)})" if messages else ""))
    agent_active = agent_status == "active"
    if managed and not agent_active:
        reasons.append(
            f"agent status is {agent_status or 'unknown'}" + (f": {'; '.join(messages)}" if messages else "")
        )
    modules: dict[str, ModuleVerdict] = {
        name: _judge(name, getattr(computer, name), getattr(policy, name, None)) for name in MODULES
    }
    warnings = [
        f"{_LABELS[name]} reports {verdict.status}: {verdict.message or 'no message'}"
        for name, verdict in modules.items()
        if verdict.state not in _OFF_STATES and verdict.status in ("warning", "error")
    ]
    clear = agent_active and not warnings
    reasons.extend(warnings)
    reasons.extend(modules[name].reason or "" for name in required if not modules[name].protected)
    return ProtectionVerdict(
        computer_id=computer.id,
        managed=managed,
        agent_active=agent_active,
        clear=clear,
        modules=modules,
        required=tuple(required),
        reasons=[reason for reason in dict.fromkeys(reasons) if reason],
        online=agent_status in _ONLINE,
    )


def _judge(name: ModuleName, section: SecurityModule | None, fallback: SecurityModule | None) -> ModuleVerdict:
    label = _LABELS[name]
    state = section.state if section and section.state else (fallback.state if fallback else None)
    module_status = section.module_status if section else None
    status = module_status.agent_status if module_status else None
    message = module_status.agent_status_message if module_status else None
    if state in _OFF_STATES:
        return ModuleVerdict(state, status, message, False, f"{label} is {state or 'not reported'}")
    if status != "active":
        return ModuleVerdict(
            state, status, message, False, f"{label} is not active ({message or status or 'no status'})"
        )
    if name == "intrusion_prevention" and state != "prevent":
        return ModuleVerdict(state, status, message, False, f"{label} is in {state} mode, not prevent")
    if name in ("anti_malware", "integrity_monitoring") and not _real_time(state, message):
        return ModuleVerdict(state, status, message, False, f"{label} is not real-time ({message or state})")
    return ModuleVerdict(state, status, message, True)


def _real_time(state: str | None, message: str | None) -> bool:
    return state == "real-time" or "real time" in (message or "").lower()
