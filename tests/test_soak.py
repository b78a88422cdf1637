"""A few seconds of the chaos soak (``benchmarks/soak.py``) must end 0 / 0 / 0.

Every fault kind that fits in the time fires (drops, a stall, listenKey expiry, 5xx after
effect); the oracle then compares the exchange's records with what the bot learned from
``client.orders``: no duplicate, no lost order, no order whose final state it does not know.
The soak waits for the tracker to settle, so load on the machine makes it slower, not red.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "soak.py"


@pytest.mark.timeout(180)  # interpreter start-ups, the chaos, and the settle on a loaded machine
def test_a_short_soak_loses_nothing_duplicates_nothing_and_knows_every_final_state() -> None:
    done = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "0.25", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("SOAK ")
    result = dict(field.split("=", 1) for field in last.split()[1:])
    assert int(result["intents"]) > 10 and int(result["faults"]) >= 3
    assert result["duplicates"] == "0"
    assert result["lost"] == "0"
    assert result["unknown_tracker"] == "0"
