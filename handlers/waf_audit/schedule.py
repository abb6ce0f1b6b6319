"""Which schedule fired, and whether it is the one that starts the WAF audit (offline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsbridge.consumer.envelope import Event

RULE_NOT_SET = "WSBRIDGE_WAF_AUDIT_RULE is not set"


@dataclass(frozen=True, slots=True)
class Firing:
    """One scheduled firing: the schedule's ARN (or the event source when it names none)."""

    schedule: str
    account: str | None
    region: str | None

    @property
    def name(self) -> str:
        """The rule or schedule name: the last part of its ARN (``rule/NAME``, ``schedule/GROUP/NAME``)."""
        return self.schedule.rsplit("/", 1)[-1]

    def started_by(self, rule: str) -> bool:
        """True when ``rule`` (a name or an ARN) names this firing's schedule."""
        wanted = rule.strip()
        return wanted == self.schedule if wanted.startswith("arn:") else wanted == self.name


def read_firing(event: Event) -> Firing:
    """The schedule that sent ``event`` (its first resource)."""
    schedule = event.resources[0] if event.resources else event.source
    return Firing(schedule, event.account or None, event.region or None)


def refusal(firing: Firing, rule: str | None) -> str | None:
    """Why this firing does not start the audit, or ``None`` when it does."""
    if not rule:
        return f"scheduled run from {firing.schedule}: {RULE_NOT_SET}"
    if not firing.started_by(rule):
        return f"scheduled run from {firing.schedule} is not the WAF audit schedule {rule}"
    return None
