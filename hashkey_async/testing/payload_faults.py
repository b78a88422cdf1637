"""The ``vary_payloads`` fault: seeded single-field variations of answers and frames.

A ``PayloadVariator`` rewrites a share (``rate``) of the offline exchange's successful REST
answers and of its stream data frames (public V1/V2 and private) with one variation drawn
from ``variations.py``: a field made ``""``, ``null``, retyped (number <-> numeric string) or
left out. Identifying fields (``decoding.IDENTIFYING``, union tags) are never touched, nor
the objects and arrays that hold them (blanking ``params`` would blank its ``symbol``), so a
tolerant client must still decode every message, typed and routed.

Reproducible: each channel (``"rest"``, ``"v1"``, ``"v2"``, ``"private"``) draws from its
own generator seeded by ``seed``, so the same messages on a channel get the same
variations whatever the other channels do.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from typing import Any, Final, Literal

from ..models.stream import (
    AccountUpdate,
    CustodyAccountUpdate,
    ExecutionReport,
    FiatAccountUpdate,
    TicketInfo,
    V1Frame,
    V2Frame,
)
from .variations import KINDS, Site, Variation, apply, sites

__all__ = ["CHANNELS", "PRIVATE_FRAME", "PUBLIC_FRAME", "Channel", "PayloadVariator"]

Channel = Literal["rest", "v1", "v2", "private"]
CHANNELS: Final[tuple[Channel, ...]] = ("rest", "v1", "v2", "private")
#: The model of a private stream frame: an array of events.
PRIVATE_FRAME: Final = list[
    ExecutionReport | AccountUpdate | CustodyAccountUpdate | FiatAccountUpdate | TicketInfo
]
#: Public frame models per channel.
PUBLIC_FRAME: Final[dict[str, Any]] = {"v1": V1Frame, "v2": V2Frame}
#: Variations kept for inspection (``recent``); older ones are dropped.
RECENT: Final = 256


class PayloadVariator:
    """Varies one non-identifying field of a ``rate`` share of the messages it is shown."""

    def __init__(self, rate: float, seed: int) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate!r}")
        self.rate = rate
        self.seed = seed
        self._rngs = {channel: random.Random(f"{seed}:{channel}") for channel in CHANNELS}
        #: Messages varied so far, per channel.
        self.counts: Counter[Channel] = Counter()
        #: The latest variations, oldest first, with their channel (at most ``RECENT``).
        self.recent: deque[tuple[Channel, Variation]] = deque(maxlen=RECENT)

    def vary(self, channel: Channel, payload: Any, model: Any) -> Variation | None:
        """One variation of ``payload`` (read as ``model``) or None to send it as it is.

        ``payload`` itself is never changed: the variation carries a changed copy.
        """
        rng = self._rngs[channel]
        if rng.random() >= self.rate:
            return None
        candidates = _free_sites(payload, model)
        while candidates:
            site = candidates.pop(rng.randrange(len(candidates)))
            kinds = list(KINDS)
            rng.shuffle(kinds)
            for kind in kinds:
                variation = apply(payload, site, kind)
                if variation is not None:
                    self.counts[channel] += 1
                    self.recent.append((channel, variation))
                    return variation
        return None


def _free_sites(payload: Any, model: Any) -> list[Site]:
    """Fields that are neither identifying nor hold an identifying field."""
    every = list(sites(payload, model))
    held = {s.path[:depth] for s in every if s.identifying for depth in range(len(s.path) + 1)}
    return [s for s in every if s.path not in held]
