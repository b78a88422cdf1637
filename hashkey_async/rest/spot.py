"""``client.spot: orders`` (placeholder until its issue fills it)."""

from __future__ import annotations

from .base import Resource

__all__ = ["SpotResource"]


class SpotResource(Resource):
    """Placeholder."""

    __slots__ = ()
