"""Per-key rate buckets (placeholder: lets every request through)."""

from __future__ import annotations

import enum

__all__ = ["Bucket", "RateLimiter"]


class Bucket(enum.Enum):
    """Per-key rate bucket (reference, "Order Rate Limiting"); PUBLIC is not charged per key."""

    ORDER = "order"
    QUERY = "query"
    PUBLIC = "public"


class RateLimiter:
    """Grants permission to send; the foundation issue fills in the real bookkeeping."""

    async def acquire(self, bucket: Bucket, weight: int) -> None:
        """Wait until a request of ``weight`` may go out on ``bucket``."""
