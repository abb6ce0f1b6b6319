"""Figure 4: Workload Security calls per finding for a burst of 100 findings over 10 instances.

Counted from the sandbox's call log, mutating calls (POST/PUT/DELETE that are not searches)
apart from reads (GET and searches). wsbridge runs as deployed (coalescing window 300 s, instance
cache 60 s); the baselines make every call for every finding.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from bench.common import Sandbox, say, spread, sqs_client
from bench.findings import bodies, sandbox_seed
from bench.throughput import measure, seed_pattern, thread_pool, wsbridge

_NUMBER = re.compile(r"/\d+")


def is_mutating(call: dict[str, Any]) -> bool:
    return call["method"] in ("POST", "PUT", "DELETE") and not call["path"].endswith("/search")


def operation(call: dict[str, Any]) -> str:
    return f"{call['method']} {_NUMBER.sub('/{id}', call['path'].removeprefix('/api'))}"


def count(sandbox: Sandbox, findings: int) -> dict[str, Any]:
    calls = sandbox.calls()
    mutating = sum(1 for call in calls if is_mutating(call))
    return {
        "mutating_per_finding": mutating / findings,
        "reads_per_finding": (len(calls) - mutating) / findings,
        "by_operation": dict(sorted(Counter(operation(call) for call in calls).items())),
    }


def run(runs: int = 3, findings: int = 100, instances: int = 10, latency_ms: int = 20) -> dict[str, Any]:
    sandbox, sqs = Sandbox(), sqs_client()
    sandbox.seed(sandbox_seed(instances))
    systems = {
        "seed_pattern": seed_pattern,
        "thread_pool_16": thread_pool,
        "wsbridge": wsbridge(32, coalesce=True),
        "wsbridge_coalescing_off": wsbridge(32, coalesce=False),
    }
    table: dict[str, dict[str, Any]] = {name: {"mutating": [], "reads": []} for name in systems}
    for index in range(runs):
        for name, start in systems.items():
            measure(sandbox, sqs, start, bodies(findings, instances), latency_ms, timeout=300)
            counted = count(sandbox, findings)
            table[name]["mutating"].append(counted["mutating_per_finding"])
            table[name]["reads"].append(counted["reads_per_finding"])
            table[name]["by_operation"] = counted["by_operation"]
            say(
                f"calls run {index + 1} {name}: {counted['mutating_per_finding']:.2f} mutating, "
                f"{counted['reads_per_finding']:.2f} reads per finding"
            )
    result: dict[str, Any] = {"findings": findings, "instances": instances, "latency_ms": latency_ms, "systems": {}}
    for name, row in table.items():
        result["systems"][name] = {
            "mutating_per_finding": spread(row["mutating"]),
            "reads_per_finding": spread(row["reads"]),
            "calls_in_last_run": row["by_operation"],
        }
    base = result["systems"]["seed_pattern"]
    for row in result["systems"].values():
        for kind in ("mutating_per_finding", "reads_per_finding"):
            row[f"{kind}_ratio_to_seed_pattern"] = round(row[kind]["median"] / base[kind]["median"], 3)
    return result
