"""Run every benchmark, each in its own process, one after another, and print one summary table.

Each script's own table is echoed as it runs; the summary collects the ``RESULT`` lines
(benchmark, ratio or value, target, met / not met). Targets are measured, not enforced: the
exit status is 0 whenever every script ran and reported, whatever the numbers; 1 otherwise.

Run: ``python benchmarks/run_all.py [--quick] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _harness import RESULT_PREFIX

__all__ = ["SCRIPTS", "main", "parse_results"]

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "rest_overhead",
    "create_order_overhead",
    "decode",
    "stream_throughput",
    "stream_memory",
    "many_symbols",
    "shared_rate_limit",
    "relay",
)
TIMEOUT = 900.0
"""Seconds one full-size script may take before it counts as failed."""


def parse_results(output: str) -> list[list[str]]:
    """The ``RESULT`` lines of a script's output, as [label, value, target, verdict]."""
    return [
        line[len(RESULT_PREFIX) :].split(" | ")
        for line in output.splitlines()
        if line.startswith(RESULT_PREFIX)
    ]


def _run(name: str, quick: bool) -> tuple[list[list[str]], str | None]:
    """Run one script, echoing its output; its results, and why it failed (or None)."""
    command = [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])]
    print(f"$ python benchmarks/{name}.py{' --quick' if quick else ''}", flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT / (20 if quick else 1)
        )
    except subprocess.TimeoutExpired:
        return [], "timed out"
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    print(f"({time.perf_counter() - start:.1f} s)\n", flush=True)
    results = parse_results(done.stdout)
    if done.returncode != 0:
        return results, f"exit status {done.returncode}"
    if not results:
        return results, "no RESULT line"
    return results, None


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scripts and print the summary; 1 if any failed to run or report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks they all run")
    parser.add_argument("--only", nargs="+", choices=SCRIPTS, default=list(SCRIPTS))
    args = parser.parse_args(argv)
    rows: list[list[str]] = []
    failed = False
    for name in args.only:
        results, problem = _run(name, args.quick)
        rows.extend(results)
        if problem is not None:
            failed = True
            rows.append([name, "-", "-", f"FAILED: {problem}"])
    header = ["benchmark", "ratio", "target", "met"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print("Summary" + (" (--quick: tiny counts, numbers mean little)" if args.quick else ""))
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(("  " + "  ".join(cells)).rstrip())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
