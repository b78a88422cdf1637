"""Shared fixtures.

Helper classes live in sibling modules (``fakeclock``, ``mockrest``, ``fixtures``); pytest's
``pythonpath`` setting puts this folder on the import path.
"""

from __future__ import annotations

import pytest
from fakeclock import FakeClock


@pytest.fixture
def fake_clock() -> FakeClock:
    """A fresh fake clock starting at t=1000 s."""
    return FakeClock()
