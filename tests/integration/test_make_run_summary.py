"""`make run` prints a summary of the sample findings once they settle, from the daemon's own counters,
then keeps running until Ctrl-C, which stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

from support.processes import wait_for
from support.stack_run import processes_of, read_until, start_run

from devstack import samples

SETTLED = b"sample messages sent have settled"
KEEPS_RUNNING = b"the daemon keeps running"


def summary_tables(output: str) -> tuple[str, dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The summary's first line, its detail-type table and its action table (row -> column -> count)."""
    lines = output.splitlines()
    start = next(index for index, line in enumerate(lines) if SETTLED.decode() in line)
    tables: list[dict[str, dict[str, int]]] = [{}]
    headings: list[str] = []
    for line in lines[start + 1 :]:
        if not line:
            tables.append({})
            headings = []
        elif not line.startswith("  "):
            break
        elif not headings:
            headings = re.split(r"\s{2,}", line.strip())
        else:
            name, *values = re.split(r"\s{2,}", line.strip())
            tables[-1][name] = dict(zip(headings[1:], map(int, values), strict=True))
    return lines[start], tables[0], tables[1]


def sent_per_detail_type() -> Counter[str]:
    """What ``run`` sends: the demo samples, and one firing of the WAF audit schedule."""
    return Counter([event["detail-type"] for event in samples.demo_events({})] + ["Scheduled Event"])


def settled(row: dict[str, int]) -> int:
    return row["handled"] + row["skipped"] + row["duplicate"] + row["dead-lettered"]


def test_run_summarises_the_samples_once_they_settle_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    run = start_run(
        [sys.executable, "-m", "devstack", "run"],
        stack_dir,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        output = read_until(run, KEEPS_RUNNING, timeout=420).decode(errors="replace")
        heading, detail_types, actions = summary_tables(output)
        expected = sent_per_detail_type()

        assert heading == f"devstack: {expected.total()} of the {expected.total()} {SETTLED.decode()}:"
        assert {name: settled(row) for name, row in detail_types.items() if name != "total"} == expected
        assert settled(detail_types["total"]) == expected.total()
        assert detail_types["GuardDuty Finding"]["handled"] > 0
        assert detail_types["Inspector2 Finding"]["handled"] > 0
        assert actions["recommendation_scan"]["done"] > 0, "the handled GuardDuty findings scan their computers"
        assert actions["assign_ips_rules"]["done"] > 0, "the handled Inspector finding assigns IPS rules"
        assert run.poll() is None, "run keeps running after the summary"

        os.killpg(run.pid, signal.SIGINT)
        assert run.wait(timeout=120) == 130
        wait_for(lambda: not processes_of(stack_dir), 120, what="every stack process to stop")
    finally:
        for pid in processes_of(stack_dir):
            os.kill(pid, signal.SIGKILL)
