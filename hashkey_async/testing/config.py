"""``ExchangeConfig``: how the offline exchange behaves; defaults follow the reference."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ExchangeConfig"]


def _default_balances() -> dict[str, str]:
    return {"USDT": "1000000", "BTC": "10", "ETH": "100"}


@dataclass(frozen=True)
class ExchangeConfig:
    """How the offline exchange behaves; defaults follow the reference."""

    seed: int = 7
    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")
    api_key: str = "offline-api-key"
    api_secret: str = field(default="offline-api-secret", repr=False)
    balances: dict[str, str] = field(default_factory=_default_balances)
    #: Per-key limits (reference, "Order Rate Limiting"): orders/s and queries/s.
    order_rate: int = 10
    query_rate: int = 2
    enforce_rate_limits: bool = True
    #: After a 429 the key's bucket stays suspended this long (reference: 1 minute).
    suspend_seconds: float = 60.0
    #: Requests answered 429 in a row before the IP is banned with 418.
    ban_after: int = 10
    ban_seconds: float = 120.0
    #: Seconds per market tick, standing for the reference's 100 ms: V2 depth is pushed every
    #: tick, V1 depth/trade/kline every 3 and realtimes every 5 (``ws.V1_CADENCE``).
    market_interval: float = 0.1
    #: Private stream: the server pings this often and drops a client silent for 2 intervals.
    private_ping_interval: float = 30.0
    #: ListenKey lifetime without keepalive (reference: 60 minutes).
    listen_key_ttl: float = 3600.0
    #: Trading fees (reference, "Get VIP Information": actualMakerRate / actualTakerRate).
    maker_fee: str = "0.0012"
    taker_fee: str = "0.0015"
