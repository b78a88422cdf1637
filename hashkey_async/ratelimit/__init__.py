"""Client-side rate limits: the in-process ``RateLimiter`` (default) and the shared ``RedisRateLimiter``.

Both follow ``Limiter``, the interface the transport uses; ``HashKeyClient(rate_limiter=...)``
takes either. ``RedisRateLimiter`` needs the ``hashkey_async[redis]`` extra (imported on use).
"""

from __future__ import annotations

from .base import (
    DEFAULT_BAN_SECONDS,
    DEFAULT_MARGIN,
    DEFAULT_MAX_PAUSE,
    DEFAULT_SUSPEND_SECONDS,
    DEFAULT_THROTTLE_SECONDS,
    THROTTLE_CODES,
    WEIGHT_PERIOD,
    Bucket,
    Limiter,
)
from .local import RateLimiter, SlidingWindow
from .redis import RedisRateLimiter

__all__ = [
    "DEFAULT_BAN_SECONDS",
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_PAUSE",
    "DEFAULT_SUSPEND_SECONDS",
    "DEFAULT_THROTTLE_SECONDS",
    "THROTTLE_CODES",
    "WEIGHT_PERIOD",
    "Bucket",
    "Limiter",
    "RateLimiter",
    "RedisRateLimiter",
    "SlidingWindow",
]
