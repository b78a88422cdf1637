"""Models of the reference's wallet section (placeholders until that issue fills them)."""

from __future__ import annotations

from .common import Model


class DepositAddress(Model):
    """Placeholder."""


class Deposit(Model):
    """Placeholder."""


class AuthAddressResult(Model):
    """Placeholder."""


class WithdrawResult(Model):
    """Placeholder."""


class Withdrawal(Model):
    """Placeholder."""
