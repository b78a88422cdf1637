"""Models of the reference's trading section (placeholders until that issue fills them)."""

from __future__ import annotations

from .common import Model


class Order(Model):
    """Placeholder."""


class BatchOrderResponse(Model):
    """Placeholder."""


class CodeResponse(Model):
    """Placeholder."""


class CancelByIdsResponse(Model):
    """Placeholder."""
