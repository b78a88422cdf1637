"""Frame builders shaped exactly like the reference's "WS Push Demo" examples."""

from __future__ import annotations

from typing import Any

__all__ = ["execution_report", "levels", "v1_kline", "v1_trades", "v2_depth", "v2_trade"]


def levels(n: int, start: float, step: float) -> list[list[str]]:
    """``n`` price levels as the exchange sends them: ``[["price", "qty"], ...]``."""
    return [[f"{start + i * step:.2f}", f"0.{i + 1:05d}"] for i in range(n)]


def v2_depth(symbol: str, t: int, n: int = 2) -> dict[str, Any]:
    """A V2 depth frame."""
    return {
        "topic": "depth",
        "params": {"symbol": symbol},
        "data": {
            "s": symbol,
            "t": t,
            "v": f"{t}_2",
            "b": levels(n, 86962.98, -0.01),
            "a": levels(n, 86962.99, 0.01),
        },
    }


def v2_trade(symbol: str, trade_id: int, price: str = "2974.53") -> dict[str, Any]:
    """A V2 trade frame."""
    return {
        "topic": "trade",
        "params": {"symbol": symbol},
        "data": {"v": str(trade_id), "t": 1766728952350, "p": price, "q": "0.0089", "m": False},
    }


def v1_kline(symbol: str, interval: str, close: str) -> dict[str, Any]:
    """A V1 kline frame (subscribed as ``kline_$interval``, pushed as ``kline``)."""
    return {
        "symbol": symbol,
        "symbolName": symbol,
        "topic": "kline",
        "params": {"realtimeInterval": "24h", "klineType": interval, "binary": "false"},
        "data": [
            {
                "t": 1766727660000,
                "s": symbol,
                "sn": symbol,
                "c": close,
                "h": "88888.01",
                "l": "88888.01",
                "o": "88888.01",
                "v": "0",
                "et": 0,
                "qv": "0",
                "td": 0,
                "tb": "0",
                "tq": "0",
            }
        ],
        "f": True,
        "sendTime": 1766727675969,
        "shared": False,
    }


def v1_trades(symbol: str, ids: list[int]) -> dict[str, Any]:
    """A V1 trade frame carrying several trades."""
    return {
        "symbol": symbol,
        "symbolName": symbol,
        "topic": "trade",
        "params": {"realtimeInterval": "24h", "binary": "false"},
        "data": [
            {"v": str(i), "t": 1764598927887, "p": "86101.4", "q": "0.00314", "m": False}
            for i in ids
        ],
        "f": True,
        "sendTime": 1764598928016,
        "shared": False,
    }


def execution_report(order_id: int, status: str = "NEW") -> dict[str, Any]:
    """One private ``executionReport`` event (reference, "Order Update")."""
    return {
        "e": "executionReport",
        "E": "1766730014188",
        "s": "BTCUSDT",
        "c": "1766730014087296",
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "0.01",
        "p": "3150.11",
        "X": status,
        "i": str(order_id),
        "l": "0",
        "z": "0",
        "L": "0",
        "n": "0",
        "N": "",
        "u": True,
        "w": True,
        "m": False,
        "O": "1766730014098",
        "Z": "0",
        "C": False,
        "v": "0",
        "reqAmt": "0",
        "d": "0",
        "r": "0.01",
        "V": "0",
        "P": "0",
        "lo": False,
        "lt": "",
        "x": "",
    }
