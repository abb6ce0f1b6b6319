"""``python -m bench``: the benchmark figures, written to bench/results/ and docs/benchmarks.md.

Run it against a local stack (``python -m devstack test -- python -m bench``; ``make bench`` does).
Each figure is the median of ``--runs`` runs with its spread; ``--scale`` shrinks or grows the
number of findings per run; ``--figures`` picks some of them.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import burst, cpu_profile, drain_rate, memory, report, shutdown, throughput, ws_calls
from bench.common import machine_note, say, write_result

FIGURES: dict[str, tuple[str, Callable[[argparse.Namespace], dict[str, Any]]]] = {
    "throughput": ("throughput", lambda args: throughput.run(args.runs, args.scale)),
    "drain": ("drain_rate", lambda args: drain_rate.run(args.runs, max(1000, int(4000 * args.scale)))),
    "cpu": ("cpu", lambda args: cpu_profile.run(args.runs, max(200, int(2000 * args.scale)))),
    "calls": ("ws_calls", lambda args: ws_calls.run(args.runs)),
    "memory": ("memory", lambda args: memory.run(args.runs, memory.checkpoints(args.scale))),
    "shutdown": ("shutdown", lambda args: shutdown.run(args.runs)),
    "burst": ("burst", lambda args: burst.run(args.runs, args.scale, systems=args.systems)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the findings per run (default 1)")
    parser.add_argument(
        "--figures", default=",".join(FIGURES), help=f"comma-separated, from {', '.join(FIGURES)} (default: all)"
    )
    parser.add_argument(
        "--systems",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        help=f"burst only: comma-separated, from {', '.join(burst.SYSTEMS)} (default: all)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the results in docs/benchmarks.md")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    chosen = [name.strip() for name in args.figures.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figures: {', '.join(unknown)}")
    unknown = sorted(set(args.systems or ()) - set(burst.SYSTEMS))
    if unknown:
        parser.error(f"unknown burst systems: {', '.join(unknown)}")
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    for name in chosen:
        result_name, figure = FIGURES[name]
        started = time.monotonic()
        say(f"figure {name}: starting")
        note = machine_note()
        result = figure(args)
        result = {"command": command.strip(), "runs": args.runs, "scale": args.scale, **note, **result}
        result["wall_seconds"] = round(time.monotonic() - started, 1)
        path = write_result(result_name, result)
        say(f"figure {name}: {path} in {result['wall_seconds']:.0f} s")
    if not args.no_docs:
        say(f"results written into {report.update_docs()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
