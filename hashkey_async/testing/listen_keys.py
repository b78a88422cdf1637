"""The listenKey registry (reference, "Create Listen Key"): REST creates keys, streams check them."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Final

__all__ = ["ListenKeys"]

_LISTEN_KEY_CHARS: Final = string.ascii_letters
_LISTEN_KEY_LENGTH: Final = 64


class ListenKeys:
    """ListenKey registry (reference, "Create Listen Key"): TTL unless kept alive.

    ``on_revoke`` callbacks get the key when it is deleted or found expired, so the
    stream side can close its socket. Each ``create`` first sweeps expired keys, so keys
    that clients abandon without deleting them do not pile up.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], int], rng: random.Random) -> None:
        self.ttl_ms = int(ttl_seconds * 1000)
        self.clock = clock
        self._rng = rng
        self._keys: dict[str, tuple[str, int]] = {}
        self.on_revoke: list[Callable[[str], None]] = []

    def create(self, api_key: str, now_ms: int | None = None) -> str:
        """A new listenKey for ``api_key``, valid for the TTL (expired keys are swept first)."""
        now = self._now(now_ms)
        self.sweep(now)
        key = "".join(self._rng.choice(_LISTEN_KEY_CHARS) for _ in range(_LISTEN_KEY_LENGTH))
        self._keys[key] = (api_key, now + self.ttl_ms)
        return key

    def keepalive(self, key: str, now_ms: int | None = None) -> bool:
        """Extend ``key`` by the TTL; False when it is unknown or already expired."""
        now = self._now(now_ms)
        if self.owner(key, now) is None:
            return False
        self._keys[key] = (self._keys[key][0], now + self.ttl_ms)
        return True

    def delete(self, key: str) -> bool:
        """Forget ``key`` and revoke it; False when it was unknown."""
        if self._keys.pop(key, None) is None:
            return False
        self._revoke(key)
        return True

    def owner(self, key: str, now_ms: int | None = None) -> str | None:
        """The API key that owns ``key``, or None when unknown or expired (expiry revokes it)."""
        entry = self._keys.get(key)
        if entry is None:
            return None
        if entry[1] <= self._now(now_ms):
            del self._keys[key]
            self._revoke(key)
            return None
        return entry[0]

    def sweep(self, now_ms: int | None = None) -> list[str]:
        """Revoke every key whose TTL has passed; returns them."""
        now = self._now(now_ms)
        expired = [key for key, (_, until) in self._keys.items() if until <= now]
        for key in expired:
            del self._keys[key]
            self._revoke(key)
        return expired

    def expire_all(self) -> list[str]:
        """Revoke every key now (fault injection); returns them."""
        keys = list(self._keys)
        self._keys.clear()
        for key in keys:
            self._revoke(key)
        return keys

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def _now(self, now_ms: int | None) -> int:
        return self.clock() if now_ms is None else now_ms

    def _revoke(self, key: str) -> None:
        for callback in list(self.on_revoke):
            callback(key)
