"""``client.account: balances, trades, transfers`` (placeholder until its issue fills it)."""

from __future__ import annotations

from .base import Resource

__all__ = ["AccountResource"]


class AccountResource(Resource):
    """Placeholder."""

    __slots__ = ()
