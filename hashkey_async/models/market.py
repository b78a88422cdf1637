"""Models of the reference's "Public Market Data" section (placeholders until issue 2 fills them)."""

from __future__ import annotations

import msgspec

from .common import Level, Model

__all__ = [
    "BookTicker",
    "Depth",
    "ExchangeInfo",
    "Kline",
    "ServerTime",
    "Ticker24hr",
    "TickerPrice",
    "Trade",
]


class ServerTime(Model):
    """``{"serverTime": 1764229341307}``."""

    server_time: int


class Depth(msgspec.Struct, rename={"time": "t", "bids": "b", "asks": "a"}):
    """Order book snapshot: ``t`` time, ``b`` bids, ``a`` asks as exact price levels."""

    time: int = 0
    bids: list[Level] = []
    asks: list[Level] = []


class ExchangeInfo(Model):
    """Placeholder."""


class Trade(Model):
    """Placeholder."""


class Kline(Model):
    """Placeholder."""


class Ticker24hr(Model):
    """Placeholder."""


class TickerPrice(Model):
    """Placeholder."""


class BookTicker(Model):
    """Placeholder."""
