"""``client.market: public market data`` (placeholder until its issue fills it)."""

from __future__ import annotations

from .base import Resource

__all__ = ["MarketResource"]


class MarketResource(Resource):
    """Placeholder."""

    __slots__ = ()
