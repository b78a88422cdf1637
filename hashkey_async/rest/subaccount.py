"""``client.subaccount: sub-account orders and trades`` (placeholder until its issue fills it)."""

from __future__ import annotations

from .base import Resource

__all__ = ["SubAccountResource"]


class SubAccountResource(Resource):
    """Placeholder."""

    __slots__ = ()
