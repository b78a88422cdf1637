"""``client.wallet: deposits and withdrawals`` (placeholder until its issue fills it)."""

from __future__ import annotations

from .base import Resource

__all__ = ["WalletResource"]


class WalletResource(Resource):
    """Placeholder."""

    __slots__ = ()
