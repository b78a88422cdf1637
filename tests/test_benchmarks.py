"""The benchmark scripts keep running: ``run_all.py --quick`` runs each and every one reports.

Performance is measured, not asserted: these tests check that each script prints its table and
its ``RESULT`` line(s) and exits 0, never what the numbers are.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# label of each RESULT line -> a line of that script's own table
EXPECTED = {
    "rest_overhead: market.depth / bare": "GET /quote/v1/depth (100 levels a side)",
    "create_order_overhead: spot.create_order / bare": "POST /api/v1.1/spot/order",
    "decode V2: typed / msgspec untyped": "V2 depth frame, 200 levels a side",
    "decode V1: typed / msgspec untyped": "V1 depth frame, 200 levels a side",
    "stream_throughput: stream.depth / bare": "V2 depth frames, 20 levels a side",
    "stream_memory: RSS growth": "max growth",
    "many_symbols: all flowing after start": "(V2 depth + V1 trades)",
    "many_symbols: all flowing after a drop": "after a drop",
    "shared_rate_limit: redis accepted orders/s": "processes x one key",
    "shared_rate_limit: redis 429s": "uncontended acquire",
    "relay: relay / direct messages/s": "added delivery latency",
}


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    """``benchmarks/_harness.py`` imported as the scripts import it (pytest ``pythonpath``)."""
    import _harness

    return _harness


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    """``benchmarks/run_all.py`` as a module (its parser), ``_harness`` importable beside it."""
    import run_all

    return run_all


@pytest.mark.timeout(90)  # the Redis benchmarks start worker processes and a redis-server
def test_run_all_quick_runs_every_benchmark_and_summarises(run_all: ModuleType) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=80,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in run_all.SCRIPTS:
        assert f"$ python benchmarks/{name}.py --quick" in done.stdout
    results = run_all.parse_results(done.stdout)
    assert sorted(label for label, *_ in results) == sorted(EXPECTED)
    for label, value, target, verdict in results:
        number = value.removesuffix("x").removesuffix(" MB").removesuffix(" s")
        float(number)  # a number, whatever it is
        assert target.split()[0] in ("<=", ">=", "<")
        assert verdict in ("met", "not met")
        assert EXPECTED[label] in done.stdout
    summary = done.stdout[done.stdout.index("Summary") :].splitlines()
    for fields in results:
        assert any(all(field in row for field in fields) for row in summary), fields
    assert not any("FAILED" in row for row in summary)


def test_target_verdicts(harness: ModuleType) -> None:
    at_most = harness.Target("a", "<=", 1.10)
    assert at_most.met(1.10) and not at_most.met(1.11)
    at_least = harness.Target("b", ">=", 0.90, " MB")
    assert at_least.met(0.90) and not at_least.met(0.89)
    below = harness.Target("c", "<", 20.0, " MB")
    assert below.met(19.9) and not below.met(20.0)
    assert below.describe() == "< 20.00 MB"
    assert (at_most.verdict(1.2), at_most.verdict(1.0)) == ("not met", "met")


def test_result_line_round_trips_through_run_all_parser(
    harness: ModuleType, run_all: ModuleType
) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print("some table line")
        harness.report(harness.Target("x: a / b", ">=", 0.9), 0.8766)
    assert run_all.parse_results(out.getvalue()) == [["x: a / b", "0.877x", ">= 0.90x", "not met"]]


def test_quick_flag_picks_tiny_counts_unless_given(harness: ModuleType) -> None:
    full, quick = {"calls": 200, "rounds": 15}, {"calls": 10, "rounds": 2}
    args = harness.parse_args("doc", full, quick, [])
    assert (args.calls, args.rounds, args.quick) == (200, 15, False)
    args = harness.parse_args("doc", full, quick, ["--quick", "--rounds", "3"])
    assert (args.calls, args.rounds) == (10, 3)


def test_rounds_rotate_who_goes_first(harness: ModuleType) -> None:
    order: list[str] = []

    def sampler(name: str) -> float:
        order.append(name)
        return 1.0

    samples = harness.rounds_sync({n: (lambda n=n: sampler(n)) for n in "abc"}, 3)
    assert order == list("abcbcacab")
    assert samples == {"a": [1.0] * 3, "b": [1.0] * 3, "c": [1.0] * 3}
