"""Models of the reference's account section (placeholders until that issue fills them)."""

from __future__ import annotations

from .common import Model


class VipInfo(Model):
    """Placeholder."""


class AccountBalances(Model):
    """Placeholder."""


class AccountTrade(Model):
    """Placeholder."""


class AccountType(Model):
    """Placeholder."""


class TransferResult(Model):
    """Placeholder."""


class ApiKeyType(Model):
    """Placeholder."""


class FiatRecord(Model):
    """Placeholder."""


class BalanceFlow(Model):
    """Placeholder."""


class ChainType(Model):
    """Placeholder."""


class CoinInfo(Model):
    """Placeholder."""
