"""Per-key rate buckets of the offline exchange (reference, "Order Rate Limiting"), pure.

10 orders/s and 2 queries/s per key; a 429 suspends the key's bucket for a minute, and
``ban_after`` 429s in a row ban the IP with 418.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

from ...rest.endpoints import Bucket
from ..config import ExchangeConfig

__all__ = ["LIMIT_CODES", "RateGate", "RateVerdict"]

#: Codes of a 429 per bucket: "-1015 Too many new orders" and "0003 Rate limit exceeded".
LIMIT_CODES: Final = {
    Bucket.ORDER: "-1015",
    Bucket.QUERY: "0003",
    Bucket.PUBLIC: "0003",
    Bucket.USER_STREAM: "0003",
}


@dataclass(frozen=True)
class RateVerdict:
    """A refusal by ``RateGate``: HTTP status, code, message and seconds until it lifts."""

    status: int
    code: str
    msg: str
    retry_after: float | None


class RateGate:
    """Per-key rolling one-second buckets, suspension after a 429, IP ban after repeated 429s.

    Pure bookkeeping over the times it is given (seconds), so tests drive it directly.
    """

    def __init__(self, config: ExchangeConfig) -> None:
        self.config = config
        self._windows: dict[tuple[str, Bucket], deque[float]] = {}
        self._suspended: dict[tuple[str, Bucket], float] = {}
        self._strikes: dict[str, int] = {}
        self._banned: dict[str, float] = {}

    def banned(self, ip: str, now: float) -> RateVerdict | None:
        """418 while ``ip`` is banned."""
        until = self._banned.get(ip, 0.0)
        if now < until:
            return RateVerdict(418, "0003", "IP banned after repeated 429s", until - now)
        return None

    def check(self, ip: str, api_key: str, bucket: Bucket, now: float) -> RateVerdict | None:
        """Admit one request of ``api_key`` on ``bucket`` or say why not (429 or 418)."""
        if bucket is Bucket.PUBLIC or not self.config.enforce_rate_limits:
            return None
        slot = (api_key, bucket)
        rate = self.config.order_rate if bucket is Bucket.ORDER else self.config.query_rate
        until = self._suspended.get(slot, 0.0)
        if now < until:
            return self._strike(ip, bucket, until - now, now)
        window = self._windows.setdefault(slot, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= rate:
            self._suspended[slot] = now + self.config.suspend_seconds
            return self._strike(ip, bucket, self.config.suspend_seconds, now)
        window.append(now)
        self._strikes[ip] = 0
        return None

    def _strike(self, ip: str, bucket: Bucket, wait: float, now: float) -> RateVerdict:
        strikes = self._strikes.get(ip, 0) + 1
        self._strikes[ip] = strikes
        if strikes > self.config.ban_after:
            self._strikes[ip] = 0
            self._banned[ip] = now + self.config.ban_seconds
            return RateVerdict(
                418, "0003", "IP banned after repeated 429s", self.config.ban_seconds
            )
        noun = "orders" if bucket is Bucket.ORDER else "requests"
        rate = self.config.order_rate if bucket is Bucket.ORDER else self.config.query_rate
        msg = f"Too many {noun}, current limit is {rate} {noun} per second"
        return RateVerdict(429, LIMIT_CODES[bucket], msg, wait)
