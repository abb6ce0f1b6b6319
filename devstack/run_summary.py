"""The table ``make run`` prints once the sample findings have settled, read from the daemon's ``/metrics``.

The daemon's own counters are the only source: ``wsbridge_messages_processed_total`` by detail-type and
outcome, and ``wsbridge_actions_total`` by action and result, each taken as the change since a snapshot
made before the samples were sent. A message has settled when it has an outcome other than ``retry``; a
retried message is counted again when it comes back and settles.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

OUTCOMES = ("success", "skipped", "duplicate", "retry", "dead_letter")
OUTCOME_HEADINGS = ("handled", "skipped", "duplicate", "retry", "dead-lettered")
SETTLED = frozenset(OUTCOMES) - {"retry"}
RESULTS = ("done", "coalesced", "dry_run", "failed")
DEADLINE_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Counts:
    """Messages by (detail-type, outcome) and actions by (action, result)."""

    messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def settled(self) -> int:
        """How many messages have an outcome that is not ``retry``."""
        return sum(count for (_, outcome), count in self.messages.items() if outcome in SETTLED)

    def since(self, earlier: Counts) -> Counts:
        """What was counted after ``earlier``."""
        return Counts(self.messages - earlier.messages, self.actions - earlier.actions)


def parse(text: str) -> Counts:
    """The message and action counters in a Prometheus text exposition."""
    counts = Counts()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            value = int(sample.value)
            if sample.name == "wsbridge_messages_processed_total":
                counts.messages[sample.labels["detail_type"], sample.labels["outcome"]] += value
            elif sample.name == "wsbridge_actions_total":
                counts.actions[sample.labels["action"], sample.labels["result"]] += value
    return counts


def read(metrics_url: str) -> Counts | None:
    """The counters the daemon serves at ``metrics_url``, or None when it does not answer."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=5.0) as response:
            return parse(response.read().decode())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def wait_settled(
    daemon: subprocess.Popen[bytes],
    metrics_url: str,
    baseline: Counts,
    expected: int,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> Counts:
    """Poll ``metrics_url`` until ``expected`` messages settled since ``baseline``, the deadline passed or
    the daemon exited; return what was counted by then."""
    deadline = time.monotonic() + deadline_seconds
    latest = Counts()
    while True:
        current = read(metrics_url)
        if current is not None:
            latest = current.since(baseline)
        if latest.settled >= expected or time.monotonic() >= deadline or daemon.poll() is not None:
            return latest
        time.sleep(1.0)


def _table(headings: tuple[str, ...], rows: list[tuple[str, list[int]]]) -> list[str]:
    first = max(len(headings[0]), *(len(name) for name, _ in rows))
    widths = [max(len(heading), 5) for heading in headings[1:]]
    lines = []
    for name, cells in [(headings[0], headings[1:]), *((name, tuple(map(str, values))) for name, values in rows)]:
        columns = "".join(f"  {cell:>{width}}" for cell, width in zip(cells, widths, strict=True))
        lines.append(f"  {name.ljust(first)}{columns}")
    return lines


def render(counts: Counts, expected: int) -> str:
    """The table: messages per detail-type by outcome, then actions per kind by result."""
    pending = max(expected - counts.settled, 0)
    status = f", {pending} still pending" if pending else ""
    lines = [f"devstack: {counts.settled} of the {expected} sample messages sent have settled{status}:"]
    detail_types = sorted({detail_type for detail_type, _ in counts.messages})
    rows = [(name, [counts.messages[name, outcome] for outcome in OUTCOMES]) for name in detail_types]
    totals = [sum(values[index] for _, values in rows) for index in range(len(OUTCOMES))]
    lines += _table(("detail-type", *OUTCOME_HEADINGS), [*rows, ("total", totals)])
    kinds = sorted({action for action, _ in counts.actions})
    if kinds:
        lines.append("")
        actions = [(kind, [counts.actions[kind, result] for result in RESULTS]) for kind in kinds]
        lines += _table(("action", *RESULTS), actions)
    return "\n".join(lines)
