"""What a wsbridge Config rule checks, read from its parameters, and its verdict on one instance.

A rule's ``ruleParameters`` name the check (``check``, default ``protected``) and what it needs:

- ``protected``: protected as the GuardDuty responder defines it (the WS client's one verdict);
- ``policy``: the computer has the policy ``policy`` (its name, any case, or its ID) and an activated agent;
- ``module``: the protection module ``module`` protects (anti-malware and integrity monitoring
  real-time, intrusion prevention in prevent mode, ...);
- ``clear``: an activated agent that is online and reports no warning or error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wsbridge.consumer.workload_security.verdict import MODULES

if TYPE_CHECKING:
    from wsbridge.handlers._shared.instances import KnownInstance

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
CHECKS = ("protected", "policy", "module", "clear")


class CheckError(ValueError):
    """The rule's parameters name no check wsbridge knows; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A compliance type and the annotation that says why."""

    compliance: str
    annotation: str


@dataclass(frozen=True, slots=True)
class Check:
    """One rule's check and its argument (the policy or the module), if any."""

    name: str
    argument: str | None = None

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> Check:
        """The check the parameters name; raises :class:`CheckError` for an unknown one."""
        name = _text(parameters, "check") or "protected"
        if name not in CHECKS:
            raise CheckError(f"unknown check {name!r} (known: {', '.join(CHECKS)})")
        if name == "policy":
            policy = _text(parameters, "policy")
            if not policy:
                raise CheckError("check 'policy' needs the parameter 'policy' (a policy name or ID)")
            return cls(name, policy)
        if name == "module":
            module = (_text(parameters, "module") or "").replace("-", "_").lower()
            if module not in MODULES:
                raise CheckError(f"check 'module' needs 'module', one of {', '.join(MODULES)}")
            return cls(name, module)
        return cls(name)

    def describe(self) -> str:
        """The check in words, e.g. ``module anti_malware``."""
        return f"{self.name} {self.argument}" if self.argument else self.name

    def judge(self, instance_id: str, known: KnownInstance | None) -> Verdict:
        """The verdict on one instance (``None``: Workload Security does not know it)."""
        if known is None:
            return Verdict(NON_COMPLIANT, f"{instance_id} is not known to Workload Security")
        verdict = known.verdict
        if self.name == "protected":
            return _verdict(f"{known.name} is protected", verdict.reasons if not verdict.protected else [])
        problems = [] if verdict.managed else ["no activated agent"]
        if self.name == "policy":
            if not self._has_policy(known):
                problems.append(f"its policy is {_policy_name(known)}, not {self.argument}")
            return _verdict(f"{known.name} has policy {self.argument}", problems)
        if self.name == "module":
            module = verdict.modules[self.argument or ""]
            if not module.protected:
                problems.append(module.reason or "")
            return _verdict(f"{(self.argument or '').replace('_', ' ')} protects {known.name}", problems)
        if verdict.managed and not verdict.clear:
            problems += _warnings(known) or [f"agent status is {_agent_status(known)}"]
        return _verdict(f"{known.name} is clear of warnings", problems)

    def _has_policy(self, known: KnownInstance) -> bool:
        wanted = (self.argument or "").strip()
        if wanted.isdigit():
            return known.policy_id == int(wanted)
        name = known.policy.name if known.policy is not None else None
        return name is not None and name.strip().casefold() == wanted.casefold()


def _verdict(good: str, problems: list[str]) -> Verdict:
    """Compliant with ``good`` as the annotation when there are no problems, else the problems."""
    if not problems:
        return Verdict(COMPLIANT, good)
    return Verdict(NON_COMPLIANT, "; ".join(problem for problem in problems if problem) or "not compliant")


def _warnings(known: KnownInstance) -> list[str]:
    return [
        f"{name.replace('_', ' ')} reports {module.status}: {module.message or 'no message'}"
        for name, module in known.verdict.modules.items()
        if module.status in ("warning", "error") and module.state not in (None, "", "off", "inherited")
    ]


def _agent_status(known: KnownInstance) -> str:
    status = known.computer.computer_status
    messages = "; ".join(status.agent_status_messages) if status else ""
    return ((status.agent_status if status else None) or "unknown") + (f" ({messages})" if messages else "")


def _policy_name(known: KnownInstance) -> str:
    if known.policy_id is None:
        return "none"
    name = known.policy.name if known.policy is not None else None
    return f"{name} (ID {known.policy_id})" if name else f"ID {known.policy_id}"


def _text(parameters: dict[str, Any], key: str) -> str | None:
    value = parameters.get(key)
    return str(value).strip() if value is not None and str(value).strip() else None
