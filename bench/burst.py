"""Figure 7: time to protect every instance of a burst under the WS API's rate budget, vs the limit.

A burst of GuardDuty and Inspector2 findings, several per instance, waits in a fresh queue; the WS
sandbox has a manager-like rate budget (``rate_limit_per_minute`` calls per window, 429 beyond it),
WS latency and scans that take time to finish. An instance is protected once the sandbox's call log
shows, for its computer, a recommendation scan started, the scan's recommended rules assigned, an
integrity scan started, and the rules of its CVE assigned to the computer or its policy. The time of
a run is from the first WS call to the moment the last instance is protected.

The limit is the time the budget allows for the fewest calls that work needs, whoever makes them:
per instance one search for its computer, one run-now task for each scan, one read of the
recommendation scan's results and one assignment of them; per CVE one rule search and one
assignment to the (shared) policy. Deleting tasks, re-reading scan dates, polling before a scan is
done and reading policies are all left out, so no consumer can be under 1.00.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import (
    Queue,
    Sandbox,
    fill,
    fresh_state_table,
    run_queue,
    say,
    spread,
    sqs_client,
)
from bench.consumers import Running, start_baseline, start_wsbridge, stopping
from bench.findings import FIRST_COMPUTER_ID, guardduty_body, inspector_body, instance_id, sandbox_seed

CVE_RULES = {"CVE-2016-6662": 3002, "CVE-2018-15473": 3001}
"""The CVEs of the burst's Inspector findings and the seeded IPS rule that covers each one."""
RECOMMENDED_RULES = frozenset({2874, 4410})
"""What a recommendation scan recommends for the seeded computers (``_sandbox.recommendedRuleIDs``)."""
POLICY_ID = 2
GUARDDUTY_PER_INSTANCE = 2
INSPECTOR_PER_INSTANCE = 1
LATENCY_MS = 50
SCAN_DELAY_MS = 2000
BUDGET_CALLS = 50
BUDGET_WINDOW_SECONDS = 10.0
"""The manager's budget scaled in time: 50 calls per 10 s (300 a minute, a manager's 500 less headroom)."""
SCAN_PARAMETERS = {
    "recommendation": "scanForRecommendationsTaskParameters",
    "integrity": "scanForIntegrityChangesTaskParameters",
}
_ASSIGNMENTS = re.compile(r"/api/(computers|policies)/(\d+)/intrusionprevention/assignments")

Starter = Callable[[Queue, str], list[Running]]


def cve_of(index: int) -> str:
    return sorted(CVE_RULES)[index % len(CVE_RULES)]


def burst(instances: int) -> list[str]:
    """Round-robin over the instances: every instance's first GuardDuty finding, then its Inspector finding, ..."""
    bodies: list[str] = []
    for _ in range(GUARDDUTY_PER_INSTANCE):
        bodies += [guardduty_body(instance_id(index)) for index in range(instances)]
    for _ in range(INSPECTOR_PER_INSTANCE):
        bodies += [inspector_body(instance_id(index), cve_of(index)) for index in range(instances)]
    return bodies


def minimum_calls(instances: int) -> int:
    """The fewest WS calls protecting ``instances`` needs (see the module's docstring)."""
    return 5 * instances + 2 * min(instances, len(CVE_RULES))


def _scan_target(body: dict[str, Any]) -> tuple[str, int | None]:
    for kind, key in SCAN_PARAMETERS.items():
        if key in body:
            return kind, (body[key].get("computerFilter") or {}).get("computerID")
    return "other", None


def protected_after(calls: list[dict[str, Any]], instances: int) -> tuple[float | None, int]:
    """(seconds from the first call until every instance was protected, or ``None``; instances protected)."""
    if not calls:
        return None, 0
    marks: dict[int, dict[str, float]] = {FIRST_COMPUTER_ID + index: {} for index in range(instances)}
    assigned: dict[int, set[int]] = {}
    on_policy: dict[int, float] = {}
    for call in calls:
        if call["status"] != 200 or call["method"] != "POST":
            continue
        body = call.get("body") or {}
        if call["path"] == "/api/scheduledtasks":
            kind, computer = _scan_target(body)
            if computer in marks:
                marks[computer].setdefault(kind, call["time"])
            continue
        match = _ASSIGNMENTS.fullmatch(call["path"])
        if match is None:
            continue
        owner, rules = int(match.group(2)), body.get("ruleIDs") or []
        if match.group(1) == "policies":
            if owner == POLICY_ID:
                for rule in rules:
                    on_policy.setdefault(rule, call["time"])
        elif owner in marks:
            assigned.setdefault(owner, set()).update(rules)
            for rule in rules:
                marks[owner].setdefault(f"rule:{rule}", call["time"])
            if assigned[owner] >= RECOMMENDED_RULES:
                marks[owner].setdefault("recommended", call["time"])
    done: list[float] = []
    for index in range(instances):
        got = marks[FIRST_COMPUTER_ID + index]
        rule = CVE_RULES[cve_of(index)]
        cve = min((t for t in (got.get(f"rule:{rule}"), on_policy.get(rule)) if t is not None), default=None)
        needed = [got.get("recommendation"), got.get("recommended"), got.get("integrity"), cve]
        if all(value is not None for value in needed):
            done.append(max(value for value in needed if value is not None))
    if len(done) < instances:
        return None, len(done)
    return max(done) - calls[0]["time"], len(done)


_NUMBER = re.compile(r"/\d+(?=/|$)")


def operation(call: dict[str, Any]) -> str:
    """A call's method and path with its ids as ``{id}``, e.g. ``DELETE /api/scheduledtasks/{id}``."""
    return f"{call['method']} {_NUMBER.sub('/{id}', call['path'])}"


def by_operation(calls: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """How many calls each operation made, by answer status."""
    table: dict[str, dict[str, int]] = {}
    for call in calls:
        statuses = table.setdefault(operation(call), {})
        statuses[str(call["status"])] = statuses.get(str(call["status"]), 0) + 1
    return dict(sorted(table.items()))


@dataclass(frozen=True, slots=True)
class Outcome:
    seconds: float | None
    protected: int
    calls: int
    throttled: int
    operations: dict[str, dict[str, int]]


def settled(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls before the first one still waiting for its answer (its status comes later)."""
    waiting = next((index for index, call in enumerate(calls) if call["status"] is None), len(calls))
    return calls[:waiting]


def one_run(sandbox: Sandbox, sqs: Any, start: Starter, instances: int, timeout: float) -> Outcome:
    """Reset the sandbox (budget on), fill a fresh queue with the burst, let the consumer(s) work it off."""
    sandbox.reset(
        latency_ms=LATENCY_MS,
        scan_delay_ms=SCAN_DELAY_MS,
        rate_limit_per_minute=BUDGET_CALLS,
        rate_limit_window_seconds=BUDGET_WINDOW_SECONDS,
    )
    calls: list[dict[str, Any]] = []
    with run_queue(sqs, "burst") as queue:
        fill(sqs, queue.url, burst(instances))
        with stopping(start(queue, sandbox.api_url)):
            deadline = time.monotonic() + timeout
            seconds, protected = None, 0
            while seconds is None and time.monotonic() < deadline:
                time.sleep(1.0)
                calls += settled(sandbox.calls(since=calls[-1]["seq"] if calls else 0))
                seconds, protected = protected_after(calls, instances)
    served = [call for call in calls if call["status"] != 429]
    return Outcome(seconds, protected, len(served), len(calls) - len(served), by_operation(calls))


def seed_pattern(queue: Queue, ws_url: str) -> list[Running]:
    return [start_baseline("seed_pattern", queue, ws_url)]


def thread_pool(queue: Queue, ws_url: str) -> list[Running]:
    return [start_baseline("thread_pool", queue, ws_url, "--threads", "16")]


def wsbridge(replicas: int) -> Starter:
    """wsbridge as deployed, its client-side limit set to the manager's budget; replicas share the state table."""

    def start(queue: Queue, ws_url: str) -> list[Running]:
        settings: dict[str, Any] = {
            "handlers": "guardduty,inspector",
            "ws_rate_limit_per_minute": BUDGET_CALLS,
            "ws_rate_limit_window_seconds": BUDGET_WINDOW_SECONDS,
        }
        if replicas > 1:
            settings["state_table"] = fresh_state_table()
        return [start_wsbridge(queue, ws_url, **settings) for _ in range(replicas)]

    return start


SYSTEMS: dict[str, Starter] = {
    "seed_pattern": seed_pattern,
    "thread_pool_16": thread_pool,
    "wsbridge": wsbridge(1),
    "wsbridge_2_replicas": wsbridge(2),
    "wsbridge_4_replicas": wsbridge(4),
}


def run(runs: int = 3, scale: float = 1.0, timeout: float = 600.0, systems: list[str] | None = None) -> dict[str, Any]:
    """Run the burst ``runs`` times for each of ``systems`` (default: all of :data:`SYSTEMS`)."""
    chosen = {name: SYSTEMS[name] for name in (systems or SYSTEMS)}
    instances = max(4, int(30 * scale))
    sandbox, sqs = Sandbox(), sqs_client()
    sandbox.seed(sandbox_seed(instances))
    limit_seconds = minimum_calls(instances) * BUDGET_WINDOW_SECONDS / BUDGET_CALLS
    table: dict[str, dict[str, list[float]]] = {name: {} for name in chosen}
    operations: dict[str, list[dict[str, dict[str, int]]]] = {name: [] for name in chosen}
    for index in range(runs):
        for name, start in chosen.items():
            outcome = one_run(sandbox, sqs, start, instances, timeout)
            seconds = outcome.seconds if outcome.seconds is not None else timeout
            row = table[name]
            for key, value in (
                ("seconds", seconds),
                ("ratio_to_limit", seconds / limit_seconds),
                ("instances_protected", outcome.protected),
                ("complete", outcome.seconds is not None),
                ("ws_calls", outcome.calls),
                ("ws_calls_per_instance", outcome.calls / instances),
                ("throttled_calls", outcome.throttled),
            ):
                row.setdefault(key, []).append(value)
            operations[name].append(outcome.operations)
            say(
                f"burst run {index + 1} {name}: {seconds:.1f} s ({seconds / limit_seconds:.2f}x the limit), "
                f"{outcome.protected}/{instances} protected, {outcome.calls} calls, {outcome.throttled} answered 429"
            )
    systems: dict[str, dict[str, Any]] = {
        name: {key: values if key == "complete" else spread(values) for key, values in row.items()}
        | {"calls_by_operation": operations[name]}
        for name, row in table.items()
    }
    return {
        "instances": instances,
        "findings": instances * (GUARDDUTY_PER_INSTANCE + INSPECTOR_PER_INSTANCE),
        "guardduty_per_instance": GUARDDUTY_PER_INSTANCE,
        "inspector_per_instance": INSPECTOR_PER_INSTANCE,
        "latency_ms": LATENCY_MS,
        "scan_delay_ms": SCAN_DELAY_MS,
        "budget_calls": BUDGET_CALLS,
        "budget_window_seconds": BUDGET_WINDOW_SECONDS,
        "minimum_calls": minimum_calls(instances),
        "limit_seconds": round(limit_seconds, 2),
        "systems": systems,
    } | {
        f"{name}_ratio_to_limit": systems[name]["ratio_to_limit"]["median"]
        for name in ("wsbridge", "wsbridge_2_replicas", "wsbridge_4_replicas")
        if name in systems
    }
