"""API credentials that never show their secret."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .signing import sign

__all__ = ["Credentials", "credentials_from", "mask"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key and its secret. ``repr`` masks both; only ``sign`` touches the secret."""

    api_key: str
    secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(api_key={mask(self.api_key)!r})"

    def sign(self, query: str, body: bytes = b"") -> str:
        """Signature of ``query + body`` with this secret."""
        return sign(self.secret, query, body)


def mask(value: str) -> str:
    """Keep the first four characters so a key can be recognised in logs, hide the rest."""
    return value[:4] + "…" if len(value) > 4 else "…"


def credentials_from(api_key: str | None, api_secret: str | None) -> Credentials | None:
    """Credentials from arguments, else ``$HASHKEY_API_KEY`` / ``$HASHKEY_API_SECRET``; None if absent."""
    key = api_key if api_key is not None else os.environ.get("HASHKEY_API_KEY")
    secret = api_secret if api_secret is not None else os.environ.get("HASHKEY_API_SECRET")
    if not key or not secret:
        return None
    return Credentials(key, secret)
