"""Figure 3: CPU time per finding in the daemon process, sandbox at 0 ms, and a profile of the hot path.

CPU per finding comes from runs without a profiler attached. One more run is sampled with py-spy
(``--format raw``: collapsed stacks, which speedscope and flamegraph.pl read); the summary
attributes each sample to one cost centre by the most specific library on its stack.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import RESULTS, Sandbox, fill, run_queue, say, spread, sqs_client, time_drain
from bench.consumers import start_wsbridge, wait_ready
from bench.findings import bodies, sandbox_seed
from bench.throughput import measure, wsbridge

SETTINGS: dict[str, Any] = {"concurrency": 32, "handlers": "guardduty", "coalesce_window_seconds": 0}

SQS_CLIENT = "SQS client (aiobotocore/botocore: signing, serialising, parsing)"
WS_HTTP = "WS HTTP client (aiohttp requests made by the WS client)"
HTTP_IO = "HTTP socket I/O (aiohttp body-writer tasks and read callbacks, WS and SQS alike)"
WSBRIDGE_CODE = "wsbridge code (pipeline, worker, handler, WS client logic)"
EVENT_LOOP = "event loop (uvloop: epoll, callbacks, task switches)"
LIBRARIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("logging (structlog, canonical lines)", re.compile(r"/structlog/")),
    ("metrics (prometheus_client)", re.compile(r"/prometheus_client/")),
    ("WS answers into models (pydantic)", re.compile(r"/pydantic(_core)?/")),
    ("JSON (orjson, json)", re.compile(r"(/orjson/|/json/)")),
)
_BOTOCORE = re.compile(r"/(aiobotocore|botocore)/")
_AIOHTTP = re.compile(r"/aiohttp/")
_WS_CLIENT = re.compile(r"^/(wsbridge/)?consumer/workload_security/")
_WSBRIDGE = re.compile(r"^/(wsbridge/)?(consumer|handlers)/(?!cli\.py|event_loop\.py)")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """py-spy from ``$PY_SPY``, the PATH, or the bench tools venv that ``make bench`` installs it into."""
    candidates = [os.environ.get("PY_SPY"), shutil.which("py-spy")]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidates.append(str(cache / "wsbridge" / "bench-tools" / "bin" / "py-spy"))
    return next((path for path in candidates if path and Path(path).is_file()), None)


def frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, _, samples = line.rstrip().rpartition(" ")
    parsed = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match:
            parsed.append((match["function"], match["file"]))
    return parsed, int(samples)


def cost_centre(files: list[str]) -> str:
    """The cost centre of one sample (``files`` from the root to the leaf).

    Anything under botocore is the SQS client. Otherwise the library nearest the leaf decides;
    asyncio and the rest of the standard library are the event loop only when no library or
    wsbridge frame is on the way to the root.
    """
    paths = ["/" + file for file in files]
    if any(_BOTOCORE.search(path) for path in paths):
        return SQS_CLIENT
    for path in reversed(paths):
        for name, pattern in LIBRARIES:
            if pattern.search(path):
                return name
        if _AIOHTTP.search(path):
            return WS_HTTP if any(_WS_CLIENT.search(p) for p in paths) else HTTP_IO
        if _WSBRIDGE.search(path):
            return WSBRIDGE_CODE
    return EVENT_LOOP


def summarize(raw: Path, top: int = 12) -> dict[str, Any]:
    """Cost centres (see :func:`cost_centre`) and the hottest functions (self time)."""
    centres: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        stack, samples = frames(line)
        if not stack:
            continue
        total += samples
        centres[cost_centre([file for _, file in stack])] += samples
        function, file = stack[-1]
        leaves[f"{function} ({file})"] += samples

    def share(counter: Counter[str], limit: int) -> list[dict[str, Any]]:
        return [{"what": what, "share_pct": round(100 * n / total, 1)} for what, n in counter.most_common(limit)]

    return {"samples": total, "cost_centres": share(centres, len(centres)), "hottest_functions": share(leaves, top)}


def profile(sandbox: Sandbox, sqs: Any, findings: int, spy: str) -> dict[str, Any]:
    sandbox.reset(latency_ms=0)
    raw = RESULTS / "profile_cpu.txt"
    with run_queue(sqs, "profile") as queue:
        consumer = start_wsbridge(queue, sandbox.api_url, **SETTINGS)
        try:
            wait_ready(consumer)
            command = [spy, "record", "--pid", str(consumer.process.pid), "--rate", "200", "--nonblocking"]
            recorder = subprocess.Popen(
                [*command, "--format", "raw", "--output", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            fill(sqs, queue.url, bodies(findings, findings))
            drain = time_drain(sqs, queue.url, findings, consumer.process, timeout=600)
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        finally:
            consumer.stop()
    summary = summarize(raw)
    summary.update({"profiled_findings": findings, "profiled_findings_per_s": round(drain.per_second, 1)})
    summary["raw_profile"] = str(raw.relative_to(RESULTS.parent.parent))
    return summary


def run(runs: int = 3, findings: int = 2000) -> dict[str, Any]:
    sandbox, sqs = Sandbox(), sqs_client()
    sandbox.seed(sandbox_seed(findings))
    cpu, rate = [], []
    for index in range(runs):
        measured = measure(sandbox, sqs, wsbridge(32, coalesce=False), bodies(findings, findings), 0, timeout=600)
        cpu.append(measured.drain.cpu_ms_per_message)
        rate.append(measured.drain.per_second)
        say(f"cpu run {index + 1}: {cpu[-1]:.3f} ms CPU/finding at {rate[-1]:.0f} findings/s")
    result: dict[str, Any] = {
        "findings": findings,
        "settings": SETTINGS,
        "cpu_ms_per_finding": spread(cpu),
        "findings_per_s": spread(rate),
    }
    spy = py_spy()
    if spy is None:
        say("py-spy not found (PY_SPY, PATH or the bench tools venv): no profile")
    else:
        result["profile"] = profile(sandbox, sqs, findings, spy)
        for centre in result["profile"]["cost_centres"][:3]:
            say(f"  {centre['share_pct']:5.1f}% {centre['what']}")
    return result
